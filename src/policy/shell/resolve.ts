import { addCommand, addUnresolved, derive, union, type Analysis, type Base } from './context.js';
import { interpreter, judgeFileCode, stdinScript } from './interpreters.js';
import { LIMITS, NO_STDIN, type Cmd } from './model.js';
import { SHELLS, interpreterFamily, programName } from '../programs/families.js';
import { parseScript } from './parse.js';
import { dyn, lit, shellQuote, type Word } from './words.js';
import { RUNUSER_SU, SUB_WRAPPERS, WRAPPERS, peel, type WrapperSpec } from '../programs/wrappers.js';
import { carried } from '../programs/carried-scripts.js';
import { fileKey, leafEffects, namedFileText, recordFile, runWrittenFile } from './written-files.js';
import { makeScript, makefileOf, scriptFile, shebang, systemProgram } from './script-files.js';
import { toolWrites } from '../programs/autoexec-writes.js';
import { commandVars } from './vars.js';
import { CONTAINER_RUNNERS, embedded } from './embedded-commands.js';
import { shellSetup } from '../programs/setup-tools.js';
import { remoteReadsStdin, remoteStdin } from './remote-stdin.js';
import {
  findExecs,
  parallelJobs,
  shellInvocation,
  sshInvocation,
  XARGS,
  xargsReplace,
} from '../programs/command-runners.js';

/** Shell keywords: as the program of a wrapper (`sudo { …; }`) they are not what the line seems. */
const RESERVED = new Set(
  '{ } ! ( ) if then else elif fi for while until do done case esac function select [[ ]]'.split(' '),
);

const NO_DIRS: string[] = [];
const SPECIAL = new Set(['eval', 'source', '.', 'xargs', 'find', 'parallel', 'sem', 'ssh']);

/** Programs the analyser unwraps or reads itself (wrappers, shells, interpreters, find, xargs …). */
export function unwraps(name: string): boolean {
  return (
    SPECIAL.has(name) ||
    SHELLS.has(name) ||
    WRAPPERS[name] !== undefined ||
    SUB_WRAPPERS[name] !== undefined ||
    interpreterFamily(name) !== undefined
  );
}

/**
 * Peel wrappers off an argv (sudo, env, timeout, xargs, find -exec, sh -c …) until a program
 * that is judged on its own remains; record it, and parse any script it is handed.
 */
export function resolveCommand(a: Analysis, words0: Word[], base: Base): void {
  let words = words0;
  let via = base.via;
  let assignments = base.assignments;
  for (let hop = 0; ; hop++) {
    if (hop > LIMITS.maxWrapperHops) {
      addUnresolved(a, 'too-deep', base.text, `more than ${LIMITS.maxWrapperHops} wrapper programs`);
      return;
    }
    const head = words[0];
    if (head === undefined) return;
    if (head.dynamic || head.lead) {
      addUnresolved(a, 'variable-program', base.text, `the program name ${head.text} is computed at run time`);
      // `$SHELL -c 'script'`: the program is unknown, but a literal script can still be judged
      const c = words.findIndex((w, i) => i > 0 && /^-[a-z]*c[a-z]*$/.test(w.text));
      const s = c === -1 ? undefined : words[c + 1];
      if (s !== undefined && !s.lead)
        script(a, s, { ...base, via: [...via, `${head.text} -c`] }, 'script of a computed program');
      return;
    }
    if (head.glob) {
      addUnresolved(a, 'glob-program', base.text, `the program name ${head.text} is a glob the shell expands`);
      return;
    }
    const path = head.text;
    const name = programName(path);
    if (name === '' || /[ \t\n;|&<>()`$]/.test(path)) {
      addUnresolved(
        a,
        'odd-program',
        base.text,
        `the program name ${JSON.stringify(path)} is empty or contains shell syntax`,
      );
      return;
    }
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(path)) {
      addUnresolved(a, 'odd-program', base.text, `${path} is an assignment where a program is expected`);
      return;
    }
    if (RESERVED.has(name)) {
      addUnresolved(a, 'odd-program', base.text, `the shell keyword ${path} stands where a program is expected`);
      return;
    }
    const args = words.slice(1);
    const cmd = (own: Word[], wrapper = false): Cmd => ({
      wrapper,
      program: name,
      programPath: path,
      args: own,
      via,
      assignments,
      text: via.length === 0 ? base.text : [path, ...own.map((w) => w.text)].map(shellQuote).join(' '),
      fedBy: union(base.stdin.fedBy, base.argFedBy),
      stdin: base.stdin.text,
      writes: base.writes,
      dirs: a.dirs.length > 0 ? [...a.dirs] : NO_DIRS,
      fileText: namedFileText(a, own),
    });
    const next = derive(base, { via: [...via, name], assignments });
    if (hop === 0) {
      commandVars(a, assignments, base);
      for (const w of base.writes) recordFile(a, w, { text: undefined, fedBy: union(base.stdin.fedBy, [name]) });
    }
    let spec: WrapperSpec | undefined =
      name === 'runuser' && !args.some((w) => /^(?:-u|--user(?:=.*)?)$/.test(w.text) || /^-[a-zA-Z]*u/.test(w.text))
        ? RUNUSER_SU
        : WRAPPERS[name];
    let skip = 0;
    const sw = SUB_WRAPPERS[name];
    if (spec === undefined && sw !== undefined && args[0] !== undefined && sw.sub.includes(args[0].text)) {
      spec = sw.spec;
      skip = 1;
    }
    if (spec !== undefined) {
      const p = peel(spec, args.slice(skip));
      const hasInner = p.inner.length > 0 || p.scripts.length > 0 || p.split.length > 0;
      if (spec.self === true || p.lookup || !hasInner) {
        if (!addCommand(a, cmd(hasInner ? [...args.slice(0, skip), ...p.own] : args, hasInner && !p.lookup))) return;
      }
      if (p.dynamicOption !== undefined) {
        addUnresolved(
          a,
          'dynamic-argument',
          base.text,
          `${name} gets the word ${p.dynamicOption.text}, computed at run time, where an option or the command goes`,
        );
        return;
      }
      if (p.lookup) return;
      for (const s of p.scripts) script(a, s, next, `${name} script`);
      if (p.split.length > 0) {
        const text = [
          ...p.split.map((w) => w.text),
          ...p.inner.map((w) => (w.dynamic ? w.text : shellQuote(w.text))),
        ].join(' ');
        script(a, { ...lit(text), dynamic: p.split.some((w) => w.dynamic) }, next, `${name} -S`);
        return;
      }
      words = p.inner;
      via = next.via;
      assignments = { ...assignments, ...p.assignments };
      commandVars(a, p.assignments, next);
      continue;
    }
    if (SHELLS.has(name)) {
      const own = cmd(
        args,
        args.some((w) => /^-[a-zA-Z]*c/.test(w.text)),
      );
      if (!addCommand(a, own)) return;
      shell(a, name, args, next, base, via, own);
      return;
    }
    if (name === 'eval') {
      if (!addCommand(a, cmd(args))) return;
      // `eval "$(ssh-agent -s)"`: the text is what a shell-set-up tool prints (it is judged itself)
      if (args.length === 1 && shellSetup(args[0]!.text)) return;
      addUnresolved(a, 'eval', base.text, 'eval runs text built at run time');
      script(
        a,
        { ...lit(args.map((w) => w.text).join(' ')), dynamic: args.some((w) => w.dynamic) },
        next,
        'eval',
        true,
      );
      return;
    }
    if (name === 'source' || name === '.') {
      const own = cmd(args);
      if (!addCommand(a, own)) return;
      const file = args[0];
      if (
        file !== undefined &&
        !file.dynamic &&
        runWrittenFile(a, file.text, own, next, (t) => script(a, lit(t), next, `${name} ${file.text}`))
      )
        return;
      if (file === undefined || file.dynamic || file.lead)
        addUnresolved(
          a,
          'source-generated',
          base.text,
          `${name} reads a script whose name or content is generated at run time`,
        );
      else if (
        file.text === '/dev/stdin' ||
        file.text === '-' ||
        file.text.startsWith('/dev/fd/') ||
        file.text.startsWith('/proc/self/fd/')
      )
        stdinScript(a, name, next, base);
      else scriptFile(a, file.text, 'shell', base, (t) => script(a, lit(t), next, `${name} ${file.text}`));
      return;
    }
    if (name === 'xargs') {
      const p = peel(XARGS, args);
      if (!addCommand(a, cmd(p.inner.length > 0 ? p.own : args, true))) return;
      if (p.dynamicOption !== undefined) {
        addUnresolved(a, 'dynamic-argument', base.text, `xargs option ${p.dynamicOption.text} is computed at run time`);
        return;
      }
      const inner = p.inner.length > 0 ? p.inner : [lit('echo')];
      const repl = xargsReplace(p.own);
      // -I R substitutes each input line for R (no appending); otherwise input words are appended
      words =
        repl !== undefined && repl !== ''
          ? inner.map((w) =>
              w.text.includes(repl) ? { ...w, dynamic: true, lead: w.lead || w.text.startsWith(repl) } : w,
            )
          : [...inner, dyn('{xargs input}')];
      via = next.via;
      continue;
    }
    if (name === 'find') {
      if (!addCommand(a, cmd(args))) return;
      for (const job of findExecs(args)) resolveCommand(a, job, { ...next, stdin: NO_STDIN, argFedBy: [] });
      return;
    }
    if (name === 'parallel' || name === 'sem') {
      const jobs = parallelJobs(args);
      if (!addCommand(a, cmd(jobs.own, true))) return;
      for (const s of jobs.scripts) script(a, s, next, 'parallel');
      return;
    }
    if (name === 'ssh') {
      const s = sshInvocation(args);
      if (!addCommand(a, cmd(s.own))) return;
      for (const local of s.local) script(a, local, next, 'ssh -o ProxyCommand');
      const remoteVia = { ...next, via: [...via, `ssh ${s.host ?? ''}`.trim()] };
      if (s.remote !== undefined) script(a, s.remote, remoteVia, 'ssh remote command');
      // no remote command, or a remote shell reading stdin: what is piped in runs on the host
      if (s.host !== undefined && base.stdin.piped && (s.remote === undefined || remoteReadsStdin(s.remote.text)))
        remoteStdin(a, `ssh ${s.host}`, remoteVia, base);
      return;
    }
    const family = interpreterFamily(name);
    if (family !== undefined) {
      const own = cmd(args);
      if (!addCommand(a, own)) return;
      interpreter(a, name, family, args, next, base, via, own);
      return;
    }
    if ((name === 'kubectl' || name === 'oc') && args.some((w) => w.text === 'exec')) {
      const dd = args.findIndex((w) => w.text === '--');
      if (!addCommand(a, cmd(args))) return;
      // `-i`/`--stdin` passes this line's stdin to the command in the pod
      const passes = args
        .slice(0, dd === -1 ? args.length : dd)
        .some((w) => /^-[A-Za-z]*i[A-Za-z]*$|^--stdin(?:=true)?$/.test(w.text));
      if (dd !== -1)
        resolveCommand(a, args.slice(dd + 1), {
          ...next,
          via: [...via, `${name} exec`],
          stdin: passes ? base.stdin : NO_STDIN,
          argFedBy: [],
        });
      return;
    }
    const c = carried(name, args, base.stdin.text);
    const own = cmd(args);
    if (!addCommand(a, own)) return;
    leafEffects(a, name, args, base);
    let written = false;
    if (a.files.size > 0 || a.downloaders.length > 0) {
      // `./x.sh` (or `tool` saved into PATH) written earlier in the line: the kernel runs it as a script
      const runner = { ...own, program: 'sh', programPath: 'sh', args: [lit(path)], wrapper: true };
      const file = path.includes('/') ? path : [...a.files.keys()].find((k) => k.endsWith(`/${path}`));
      written = file !== undefined && runWrittenFile(a, file, runner, next, (t) => script(a, lit(t), next, path));
      if (written) {
        if (!addCommand(a, runner)) return;
      } else if (path.includes('/') && a.downloaders.length > 0)
        addUnresolved(
          a,
          'generated-script',
          base.text,
          `${path} runs after ${a.downloaders.join(', ')} in the same line and may be what was downloaded`,
        );
    }
    if (!written) fileRuns(a, name, path, args, own, next, base);
    toolWrites(a, name, args, next);
    if (c !== undefined) {
      if (c.unresolved !== undefined) addUnresolved(a, 'interpreter-shell-out', base.text, c.unresolved);
      for (const s of c.scripts) script(a, s, { ...next, stdin: NO_STDIN }, `${name} command text`);
      if (c.stdin) stdinScript(a, name, next, base);
      return;
    }
    if (a.unknown(name) || (CONTAINER_RUNNERS.has(name) && args.some((w) => w.text === 'run' || w.text === 'exec')))
      embedded(a, name, args, next);
    return;
  }
}

/**
 * Files this command runs whose content the caller reads (decision 0125): a program named by a
 * path outside the system directories (`./deploy.sh`), `make`'s Makefile, `psql -f q.sql`.
 */
function fileRuns(a: Analysis, name: string, path: string, args: Word[], own: Cmd, next: Base, base: Base): void {
  if (path.includes('/') && !systemProgram(fileKey(a, path)))
    scriptFile(a, path, 'exec', base, (t) => {
      const sb = shebang(t);
      if (sb === undefined || sb.family === undefined) {
        if (sb !== undefined && !SHELLS.has(sb.program))
          addUnresolved(a, 'script-interpreter', base.text, `${path} is run by ${sb.program || 'an unnamed program'}`);
        else script(a, lit(t), next, path);
      } else judgeFileCode(a, sb.program, sb.family, t, next, base);
    });
  if (name === 'make' || name === 'gmake') {
    const mf = makefileOf(args);
    if (mf === undefined) addUnresolved(a, 'source-generated', base.text, `${name} reads a Makefile named at run time`);
    else
      scriptFile(a, mf.file, 'make', base, (t) => {
        const m = makeScript(t);
        for (const u of m.unknown) addUnresolved(a, 'make-unknown', base.text, u);
        // recipes run in make's directory (-C): relative paths in them resolve there
        const depth = a.dirs.length;
        a.dirs.push(mf.dir);
        try {
          script(a, lit(m.script), { ...next, via: [...next.via.slice(0, -1), 'make recipe'] }, 'make recipe');
        } finally {
          a.dirs.length = depth;
        }
      });
  }
  if (name === 'psql')
    for (let i = 0; i < args.length; i++) {
      const t = args[i]!.text;
      const v = t === '-f' || t === '--file' ? args[++i] : /^(?:-f|--file=)(.+)$/.exec(t)?.[1];
      const w = typeof v === 'string' ? lit(v) : v;
      if (w === undefined || w.text === '-') continue;
      if (w.dynamic) addUnresolved(a, 'source-generated', base.text, `${name} runs a SQL file named at run time`);
      else scriptFile(a, w.text, 'sql', base, (sql) => (own.fileText = [...own.fileText, sql]));
    }
}

/** Judge a script string; a dynamic one is unresolved (still parsed for what is literal). */
export function script(a: Analysis, w: Word, base: Base, what: string, alreadyUnresolved = false): void {
  if (w.dynamic && !alreadyUnresolved)
    addUnresolved(a, 'dynamic-script', base.text, `the ${what} is built at run time: ${w.text}`);
  parseScript(a, w.text, derive(base, { argFedBy: [], depth: base.depth + 1, text: w.text }));
}

function shell(a: Analysis, name: string, args: Word[], next: Base, base: Base, outer: string[], own: Cmd): void {
  const inv = shellInvocation(args);
  if (inv.dynamicOption !== undefined) {
    addUnresolved(
      a,
      'dynamic-argument',
      base.text,
      `${name} gets the word ${inv.dynamicOption.text}, computed at run time, as an option`,
    );
    return;
  }
  const via = derive(next, { via: [...outer, `${name} -c`] });
  if (inv.script !== undefined) {
    script(a, inv.script, via, `${name} -c script`);
    return;
  }
  if (inv.commandMode) {
    addUnresolved(a, 'dynamic-script', base.text, `${name} -c without a script`);
    return;
  }
  if (inv.file !== undefined && !inv.stdin) {
    const f = inv.file;
    if (
      !f.dynamic &&
      !f.lead &&
      runWrittenFile(a, f.text, own, via, (t) => script(a, lit(t), via, `${name} ${f.text}`))
    )
      return;
    if (f.dynamic || f.lead)
      addUnresolved(
        a,
        'source-generated',
        base.text,
        `${name} runs a script whose name or content is generated at run time (${f.text})`,
      );
    else if (f.text === '/dev/stdin' || f.text.startsWith('/dev/fd/') || f.text.startsWith('/proc/self/fd/'))
      stdinScript(a, name, via, base);
    else scriptFile(a, f.text, 'shell', base, (t) => script(a, lit(t), via, `${name} ${f.text}`));
    return;
  }
  stdinScript(a, name, via, base);
}
