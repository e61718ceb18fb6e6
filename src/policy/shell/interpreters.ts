import { addUnresolved, type Analysis, type Base } from './context.js';
import { destroysData, extractCommands, literalCallsOnly, shellsOut } from '../programs/inline-code.js';
import { NO_STDIN, type Cmd } from './model.js';
import { runWrittenFile } from './written-files.js';
import { scriptFile } from './script-files.js';
import { INTERPRETERS } from '../programs/families.js';
import { resolveCommand } from './resolve.js';
import { parseScript } from './parse.js';
import { expandBraces, lit, shellQuote, type Word } from './words.js';

/** Shells and interpreters that read their program from stdin, and inline interpreter code. */
/** A shell or interpreter reads its program from stdin. */
export function stdinScript(a: Analysis, name: string, next: Base, base: Base, judge = true): void {
  const stdin = base.stdin;
  if (!stdin.piped) {
    addUnresolved(a, 'stdin-script', base.text, `${name} reads its commands from stdin, which guard does not see`);
    return;
  }
  const fromProgram = stdin.fedBy.length > 0;
  if (fromProgram || stdin.dynamic) {
    const from = fromProgram ? `output of ${stdin.fedBy.join(', ')}` : 'text built at run time';
    addUnresolved(a, 'pipe-into-shell', base.text, `${name} runs a script read from stdin (${from})`);
  }
  if (judge && stdin.text !== undefined)
    parseScript(a, stdin.text, { ...next, stdin: NO_STDIN, argFedBy: [], depth: next.depth + 1, text: stdin.text });
}

export function interpreter(
  a: Analysis,
  name: string,
  family: string,
  args: Word[],
  next: Base,
  base: Base,
  outer: string[],
  own: Cmd,
): void {
  const spec = INTERPRETERS[family]!;
  if (args.length > 0 && args.every((w) => !w.dynamic && exitsAfter(family, w.text))) return;
  let code: Word | undefined;
  let file: Word | undefined;
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    const t = w.text;
    if (family === 'deno' && (t === 'eval' || t === 'run' || t === 'repl') && i === 0) {
      if (t === 'eval') code = args[i + 1];
      else file = args[i + 1];
      break;
    }
    if (t === '--' || !t.startsWith('-') || t === '-') {
      file = w;
      break;
    }
    if (spec.stop.includes(t)) return;
    const eq = t.indexOf('=');
    const opt = t.startsWith('--') && eq !== -1 ? t.slice(0, eq) : t;
    if (spec.code.includes(opt)) {
      code = eq !== -1 && t.startsWith('--') ? { ...w, text: t.slice(eq + 1) } : args[i + 1];
      break;
    }
    if (family !== 'node' && /^-[A-Za-z]+$/.test(t) && spec.code.some((c) => c.length === 2 && t.endsWith(c[1]!))) {
      code = args[i + 1]; // python -Bc 'code', perl -we 'code'
      break;
    }
    if (spec.value.includes(t)) i++;
  }
  const via = { ...next, via: [...outer, `${name} code`] };
  if (code !== undefined) {
    judgeCode(a, name, family, code.text, code.dynamic, via, base);
    return;
  }
  if (file !== undefined && file.text !== '-') {
    const f = file;
    if (!f.dynamic && runWrittenFile(a, f.text, own, via, (t) => judgeCode(a, name, family, t, false, via, base)))
      return;
    if (file.dynamic || file.lead)
      addUnresolved(
        a,
        'source-generated',
        base.text,
        `${name} runs a program whose name is generated at run time (${file.text})`,
      );
    else if (!/^\/dev\/(?:stdin$|fd\/)|^\/proc\/self\/fd\//.test(f.text))
      scriptFile(a, f.text, 'code', base, (t) => judgeCode(a, name, family, t, false, via, base));
    return;
  }
  // code from stdin: heredoc, here-string or a pipe
  const stdin = base.stdin;
  if (!stdin.piped) {
    addUnresolved(a, 'stdin-script', base.text, `${name} reads its program from stdin, which guard does not see`);
    return;
  }
  if (stdin.fedBy.length > 0 || stdin.dynamic)
    addUnresolved(
      a,
      'pipe-into-shell',
      base.text,
      `${name} runs code read from stdin (${stdin.fedBy.length > 0 ? `output of ${stdin.fedBy.join(', ')}` : 'text built at run time'})`,
    );
  if (stdin.text !== undefined) judgeCode(a, name, family, stdin.text, false, via, base);
}

/**
 * Options after which the interpreter prints and exits without reading a program. `-v` only where
 * it means version and exit: `python -v` is verbose and `ruby -v` goes on to read stdin.
 */
function exitsAfter(family: string, t: string): boolean {
  if (t === '--version' || t === '--help' || t === '-h' || t === '-version') return true;
  if (t === '-V') return family !== 'perl' && family !== 'r';
  return t === '-v' && ['perl', 'php', 'lua', 'node', 'bun', 'deno'].includes(family);
}

/** Code read from a script file (its `#!` names the interpreter). */
export function judgeFileCode(a: Analysis, name: string, family: string, code: string, next: Base, base: Base): void {
  judgeCode(a, name, family, code, false, { ...next, via: [...next.via, `${name} code`] }, base);
}

function judgeCode(
  a: Analysis,
  name: string,
  family: string,
  code: string,
  dynamic: boolean,
  via: Base,
  base: Base,
): void {
  if (dynamic) addUnresolved(a, 'dynamic-script', base.text, `${name} runs code built at run time`);
  if (destroysData(code))
    addUnresolved(
      a,
      'interpreter-delete',
      base.text,
      `${name} code deletes directory trees or writes a disk device without starting a process`,
    );
  if (!shellsOut(code, family)) return;
  if (!literalCallsOnly(code, family))
    addUnresolved(
      a,
      'interpreter-shell-out',
      base.text,
      `${name} code starts processes or shells; guard judges the strings it contains but cannot follow the code`,
    );
  const found = extractCommands(code);
  for (const argv of found.argvs)
    resolveCommand(a, expandAllLit(argv), {
      ...via,
      stdin: NO_STDIN,
      argFedBy: [],
      text: argv.map(shellQuote).join(' '),
    });
  for (const s of found.scripts)
    parseScript(a, s, { ...via, stdin: NO_STDIN, argFedBy: [], depth: via.depth + 1, text: s });
}

function expandAllLit(argv: string[]): Word[] {
  return argv.flatMap((s) => expandBraces(lit(s)));
}
