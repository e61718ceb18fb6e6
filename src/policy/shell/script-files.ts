import { addUnresolved, type Analysis, type Base } from './context.js';
import { fileKey } from './written-files.js';
import { normalizeAbsolute } from './paths.js';
import { SHELLS, interpreterFamily, programName } from '../programs/families.js';
import type { ScriptRef } from '../types.js';

/**
 * Script files a command runs (`bash x.sh`, `source x`, `python x.py`, `./x`, `psql -f q.sql`,
 * `make`): the engine never opens them. It names each one in the decision (`scripts`) and, when the
 * caller read them at decision time (`PolicyRequest.files`, src/policy/script-read.ts), judges the
 * content as what the command runs; a file the caller did not or could not read is unresolved.
 * Issue 22, decision 0125.
 */

/** At most this many script files per line; more are unresolved (never read, never allowed). */
export const MAX_SCRIPTS = 20;

/** The key a script file is read and judged under. */
export function scriptKey(a: Analysis, path: string, kind: ScriptRef['kind']): string {
  const p = fileKey(a, path);
  return kind === 'make' && path.endsWith('/') ? `${p.replace(/\/+$/, '')}/` : p;
}

/** Programs installed in system directories are judged by name (the agent cannot write there). */
export function systemProgram(path: string): boolean {
  return /^\/(?:usr\/|bin\/|sbin\/|lib|nix\/store\/|snap\/|etc\/alternatives\/)/.test(normalizeAbsolute(path));
}

/**
 * A command runs the file at `path`: name it in the decision and, when its content was read, hand
 * the text to `judge`. Unread or unreadable content is unresolved.
 */
export function scriptFile(
  a: Analysis,
  path: string,
  kind: ScriptRef['kind'],
  base: Base,
  judge: (text: string) => void,
): void {
  const key = scriptKey(a, path, kind);
  if (a.judging.has(key)) return; // a script that runs itself: its content is being judged already
  const known = a.sink.scripts.some((s) => s.path === key && s.kind === kind);
  if (!known && a.sink.scripts.length < MAX_SCRIPTS) a.sink.scripts.push({ path: key, kind });
  if (a.readFiles === undefined) return;
  const f = Object.hasOwn(a.readFiles, key) ? a.readFiles[key] : undefined;
  if (f === undefined) {
    addUnresolved(a, 'script-file', base.text, `${path} is run, and guard has not read its content (${key})`);
    return;
  }
  if ('error' in f) {
    addUnresolved(a, 'script-unreadable', base.text, `${path} is run, and its content cannot be judged: ${f.error}`);
    return;
  }
  if (!('text' in f)) return; // a binary program: judged by its name and bound by its digest
  a.judging.add(key);
  try {
    judge(f.text);
  } finally {
    a.judging.delete(key);
  }
}

/** The interpreter a `#!` line names: `sh`, a family from programs/families.ts, or another program. */
export function shebang(text: string): { program: string; family: string | undefined } | undefined {
  if (!text.startsWith('#!')) return undefined;
  const end = text.indexOf('\n');
  const words = text
    .slice(2, end === -1 ? undefined : end)
    .trim()
    .split(/[ \t]+/);
  let prog = programName(words[0] ?? '');
  if (prog === 'env') {
    const w = words.slice(1).find((x) => !x.startsWith('-') && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(x));
    prog = programName(w ?? '');
  }
  if (SHELLS.has(prog)) return { program: prog, family: undefined };
  return { program: prog, family: interpreterFamily(prog) };
}

/** Builtin make variables recipes commonly use (GNU make's defaults). */
const MAKE_BUILTINS: Record<string, string> = {
  MAKE: 'make',
  RM: 'rm -f',
  CC: 'cc',
  CXX: 'g++',
  CPP: 'cc -E',
  AR: 'ar',
  AS: 'as',
  LD: 'ld',
  INSTALL: 'install',
  SHELL: '/bin/sh',
  CURDIR: '.',
  MAKEFLAGS: '',
  MFLAGS: '',
};

/** A value make computes (automatic variables, functions other than shell): one unknown word. */
const COMPUTED = '"$MAKE_VALUE"';

/**
 * The shell text a Makefile can run: every recipe line (of every target: which one runs depends
 * on the command line and on file times), with make's variables expanded where the file defines
 * them, plus the commands of `$(shell …)` and `!=`. What make reads from elsewhere (`include`,
 * `$(eval)`, another SHELL) is returned as `unknown`.
 */
export function makeScript(text: string): { script: string; unknown: string[] } {
  const lines = text.replace(/\\\r?\n/g, '\uE000').split(/\r?\n/);
  const vars = new Map<string, string>();
  const recipes: string[] = [];
  const shellCalls: string[] = [];
  const unknown: string[] = [];
  let define: { name: string; body: string[] } | undefined;
  for (const raw of lines) {
    if (define !== undefined) {
      if (/^\s*endef\b/.test(raw)) {
        vars.set(define.name, define.body.join('\n'));
        define = undefined;
      } else define.body.push(raw.replace(/\uE000/g, '\\\n'));
      continue;
    }
    if (raw.startsWith('\t')) {
      recipes.push(raw.slice(1).replace(/\uE000\t?/g, '\\\n'));
      continue;
    }
    const line = raw.replace(/\uE000/g, ' ').replace(/(^|[^\\])#.*$/, '$1');
    if (line.trim() === '') continue;
    const def = /^\s*(?:override\s+|export\s+)?define\s+([^\s:?+!=]+)/.exec(line);
    if (def !== null) {
      define = { name: def[1]!, body: [] };
      continue;
    }
    if (/^\s*-?(?:include|sinclude)\b/.test(line)) {
      unknown.push(`the Makefile includes another file (${line.trim()})`);
      continue;
    }
    const asg = /^\s*(?:override\s+|export\s+)?([^\s:?+!=#]+)\s*(:::=|::=|:=|\?=|\+=|!=|=)\s*(.*)$/.exec(line);
    if (asg !== null) {
      const [, name, op, value] = asg as unknown as [string, string, string, string];
      if (name === 'SHELL' || name === '.SHELLFLAGS')
        unknown.push(`the Makefile runs its recipes through ${name} = ${value}`);
      if (op === '!=') shellCalls.push(value);
      vars.set(name, op === '+=' ? `${vars.get(name) ?? ''} ${value}` : value);
      continue;
    }
    // `target: prerequisites ; recipe`
    const semi = /^[^\t=]*?:[^=;]*;(.*)$/.exec(line);
    if (semi !== null) recipes.push(semi[1]!);
  }
  const expand = (s: string, depth: number): string => expandMake(s, vars, depth, shellCalls, unknown, expand);
  for (const s of recipes.map((r) => r.replace(/^[\s@+-]*/, ''))) shellCalls.push(s);
  // variable values run only through recipes or $(shell): expand the recipes, which pulls them in
  const script = shellCalls.map((s) => expand(s, 0)).join('\n');
  return { script, unknown };
}

function expandMake(
  s: string,
  vars: Map<string, string>,
  depth: number,
  shellCalls: string[],
  unknown: string[],
  again: (s: string, depth: number) => string,
): string {
  if (depth > 8) {
    unknown.push('make variables nested too deep');
    return COMPUTED;
  }
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '$') {
      out += c;
      continue;
    }
    const n = s[i + 1];
    if (n === undefined) break;
    if (n === '$') {
      out += '$';
      i++;
      continue;
    }
    if (n !== '(' && n !== '{') {
      // $@ $< $^ $* $? $+ $| and one-letter variables
      out += vars.has(n) ? again(vars.get(n)!, depth + 1) : COMPUTED;
      i++;
      continue;
    }
    const close = n === '(' ? ')' : '}';
    let level = 0;
    let j = i + 1;
    for (; j < s.length; j++) {
      if (s[j] === n) level++;
      else if (s[j] === close && --level === 0) break;
    }
    const inner = s.slice(i + 2, j);
    i = j;
    const fn = /^([a-z-]+)\s+([\s\S]*)$/.exec(inner);
    if (fn !== null) {
      const [, name, body] = fn as unknown as [string, string, string];
      if (name === 'shell') {
        out += `"$(${again(body, depth + 1)})"`;
        continue;
      }
      if (name === 'eval') {
        unknown.push(`$(eval …) defines make text at run time`);
        out += COMPUTED;
        continue;
      }
      if (name === 'call') {
        const first = body.split(',')[0]!.trim();
        out += vars.has(first) ? again(vars.get(first)!, depth + 1) : COMPUTED;
        continue;
      }
      out += COMPUTED;
      continue;
    }
    const ref = /^([^\s:=]+)(?::.*)?$/.exec(inner)?.[1];
    if (ref !== undefined && vars.has(ref)) out += again(vars.get(ref)!, depth + 1);
    else if (ref !== undefined && Object.hasOwn(MAKE_BUILTINS, ref)) out += MAKE_BUILTINS[ref]!;
    else out += COMPUTED;
  }
  return out;
}

/** The Makefile `make` reads (`-f FILE` relative to `-C DIR`, else `DIR/`) and where its recipes run. */
export function makefileOf(
  args: readonly { text: string; dynamic: boolean }[],
): { file: string; dir: string } | undefined {
  let dir = '.';
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const t = args[i]!.text;
    let computed = args[i]!.dynamic;
    const val = (short: string, long: string): string | undefined => {
      if (t === short || t === long) {
        computed ||= args[i + 1]?.dynamic ?? false;
        return args[++i]?.text;
      }
      if (t.startsWith(`${long}=`)) return t.slice(long.length + 1);
      if (t.startsWith(short) && t.length > 2 && !t.startsWith('--')) return t.slice(2);
      return undefined;
    };
    const f = val('-f', '--file') ?? (t.startsWith('--makefile=') ? t.slice(11) : undefined);
    if (f !== undefined) {
      if (computed) return undefined;
      file ??= f;
      continue;
    }
    const d = val('-C', '--directory');
    if (d !== undefined && computed) return undefined;
    if (d !== undefined) dir = d.startsWith('/') ? d : `${dir}/${d}`;
  }
  if (file === '-') return undefined;
  if (file !== undefined) return { file: file.startsWith('/') ? file : `${dir}/${file}`, dir };
  return { file: `${dir}/`, dir };
}
