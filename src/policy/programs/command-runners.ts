import { dyn, lit, shellQuote, type Word } from '../shell/words.js';
import type { WrapperSpec } from './wrappers.js';

/** xargs: options, then the command it runs with words read from stdin appended. */
export const XARGS: WrapperSpec = {
  value: [
    '-a',
    '--arg-file',
    '-d',
    '--delimiter',
    '-E',
    '-I',
    '-L',
    '-n',
    '--max-args',
    '-P',
    '--max-procs',
    '-s',
    '--max-chars',
    '--process-slot-var',
    '--max-lines',
    '--replace',
    '--eof',
  ],
};

/** xargs -I R / -i / --replace[=R]: the replacement string, or undefined when input is appended. */
export function xargsReplace(own: Word[]): string | undefined {
  for (let i = 0; i < own.length; i++) {
    const t = own[i]!.text;
    if (t === '-I') return own[i + 1]?.text;
    if (t.startsWith('-I')) return t.slice(2);
    if (t === '-i' || t === '--replace') return '{}';
    if (t.startsWith('-i') && !t.startsWith('--')) return t.slice(2);
    if (t.startsWith('--replace=')) return t.slice('--replace='.length);
  }
  return undefined;
}

/** `find … -exec cmd {} ;` / `-execdir` / `-ok` / `-okdir`: the commands find runs. */
export function findExecs(args: Word[]): Word[][] {
  const jobs: Word[][] = [];
  for (let i = 0; i < args.length; i++) {
    const t = args[i]!.text;
    if (t !== '-exec' && t !== '-execdir' && t !== '-ok' && t !== '-okdir') continue;
    const job: Word[] = [];
    let j = i + 1;
    for (; j < args.length; j++) {
      const u = args[j]!.text;
      if (u === ';' || (u === '+' && job.length > 0 && job[job.length - 1]!.text === '{}')) break;
      const w = args[j]!;
      // `{}` becomes a found path: not known statically (sh -c '{}' runs file names as scripts), but a
      // path, never an option (it starts with the starting point), except as the program itself
      job.push(
        w.text.includes('{}')
          ? { ...w, dynamic: true, lead: w.lead || (job.length === 0 && w.text.startsWith('{}')) }
          : w,
      );
    }
    if (job.length > 0) jobs.push(job);
    i = j;
  }
  return jobs;
}

const PARALLEL_VALUES = new Set([
  '-j',
  '--jobs',
  '-P',
  '-S',
  '--sshlogin',
  '-a',
  '--arg-file',
  '-d',
  '--delimiter',
  '-I',
  '-n',
  '-N',
  '-L',
  '--colsep',
  '-C',
  '--delay',
  '--timeout',
  '--joblog',
  '--results',
  '--tmpdir',
  '--workdir',
  '--wd',
  '--retries',
  '--memfree',
  '--load',
  '-E',
  '--env',
  '--sshloginfile',
  '--slf',
  '--tag-string',
  '--tagstring',
  '--basefile',
  '--bf',
  '--return',
  '--transferfile',
  '--tf',
  '--shebang-wrap',
  '--halt',
  '--limit',
  '--nice',
  '--termseq',
  '--block',
  '--blocksize',
  '--recstart',
  '--recend',
  '--xapply',
]);
const SEPS = new Set([':::', '::::', ':::+', '::::+']);
const PARALLEL_REPL = /\{(?:\d*(?:\.|\/|\/\/|\/\.|#|%)?|\d+)\}/;

/** GNU parallel: the command template (run by a shell) and the argument lists after `:::`. */
export function parallelJobs(args: Word[]): { own: Word[]; scripts: Word[] } {
  let i = 0;
  const own: Word[] = [];
  while (i < args.length) {
    const t = args[i]!.text;
    if (t === '--') {
      own.push(args[i]!);
      i++;
      break;
    }
    if (!t.startsWith('-') || SEPS.has(t)) break;
    own.push(args[i]!);
    if (PARALLEL_VALUES.has(t) && !t.includes('=')) {
      const v = args[i + 1];
      if (v !== undefined) own.push(v);
      i++;
    }
    i++;
  }
  const template: Word[] = [];
  while (i < args.length && !SEPS.has(args[i]!.text)) template.push(args[i++]!);
  const inputs: Word[] = [];
  for (; i < args.length; i++) if (!SEPS.has(args[i]!.text)) inputs.push(args[i]!);
  const joined = (ws: Word[]): Word => ({
    text: ws.map((w) => w.text).join(' '),
    dynamic: ws.some((w) => w.dynamic),
    lead: false,
    glob: false,
  });
  if (template.length === 0)
    return {
      own,
      scripts:
        inputs.length > 0 ? inputs.map((w) => joined([w])) : [{ ...lit('"$PARALLEL_STDIN_COMMAND"'), dynamic: true }],
    };
  // Replacement strings ({} {.} {/} {1} …) take each input, shell-quoted; otherwise inputs are
  // appended. Without ::: the inputs come from stdin and are computed words.
  const text = joined(template);
  if (PARALLEL_REPL.test(text.text)) {
    const fill = (w: Word): Word => ({
      ...text,
      text: text.text.replace(new RegExp(PARALLEL_REPL.source, 'g'), w.dynamic ? w.text : shellQuote(w.text)),
      dynamic: text.dynamic || w.dynamic,
    });
    return {
      own,
      scripts: inputs.length > 0 ? inputs.map(fill) : [{ ...fill(dyn('"$PARALLEL_INPUT"')), dynamic: text.dynamic }],
    };
  }
  const tail = inputs.length > 0 ? inputs : [{ ...lit('$PARALLEL_INPUT'), dynamic: true }];
  return { own, scripts: [joined([...template, ...tail])] };
}

/** sh/bash … -c: the script, or the script file, or stdin. */
export function shellInvocation(args: Word[]): {
  script: Word | undefined;
  file: Word | undefined;
  stdin: boolean;
  commandMode: boolean;
  dynamicOption: Word | undefined;
} {
  let commandMode = false;
  let stdin = false;
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    const t = w.text;
    if (w.lead && !commandMode) return { script: undefined, file: undefined, stdin, commandMode, dynamicOption: w };
    if (w.lead) return { script: w, file: undefined, stdin, commandMode, dynamicOption: undefined };
    if (t === '--' || t === '-') {
      const rest = args[i + 1];
      return commandMode
        ? { script: rest, file: undefined, stdin, commandMode, dynamicOption: undefined }
        : { script: undefined, file: rest, stdin, commandMode, dynamicOption: undefined };
    }
    if (t.startsWith('--')) {
      if (t === '--rcfile' || t === '--init-file') i++;
      if (t === '--command') commandMode = true;
      continue;
    }
    if ((t.startsWith('-') || t.startsWith('+')) && t.length > 1) {
      for (const ch of t.slice(1)) {
        if (ch === 'c') commandMode = true;
        if (ch === 's') stdin = true;
        if (ch === 'o' || ch === 'O') i++;
      }
      continue;
    }
    return commandMode
      ? { script: w, file: undefined, stdin, commandMode, dynamicOption: undefined }
      : { script: undefined, file: w, stdin, commandMode, dynamicOption: undefined };
  }
  return { script: undefined, file: undefined, stdin, commandMode, dynamicOption: undefined };
}

const SSH_VALUES = new Set([
  '-b',
  '-c',
  '-D',
  '-E',
  '-e',
  '-F',
  '-I',
  '-i',
  '-J',
  '-L',
  '-l',
  '-m',
  '-O',
  '-o',
  '-p',
  '-Q',
  '-R',
  '-S',
  '-W',
  '-w',
  '-B',
]);

/**
 * ssh: destination, remote command (run by the remote shell), local ProxyCommand/LocalCommand.
 * OpenSSH parses options again after the destination (`ssh host -p 22 cmd`, `ssh host -- cmd`)
 * unless a `--` came before it.
 */
export function sshInvocation(args: Word[]): {
  own: Word[];
  host: string | undefined;
  remote: Word | undefined;
  local: Word[];
} {
  const own: Word[] = [];
  const local: Word[] = [];
  let i = 0;
  let host: string | undefined;
  let terminated = false;
  for (; i < args.length; i++) {
    const w = args[i]!;
    const t = w.text;
    if (t === '--' && !terminated) {
      own.push(w);
      terminated = true;
      if (host !== undefined) {
        i++;
        break;
      }
      continue;
    }
    if (!terminated && t.startsWith('-') && t.length > 1) {
      own.push(w);
      const last = t[t.length - 1]!;
      let value: Word | undefined;
      if (t.length === 2 && SSH_VALUES.has(t)) {
        value = args[++i];
        if (value !== undefined) own.push(value);
      } else if (SSH_VALUES.has(`-${t[1]!}`) && t.length > 2) value = { ...w, text: t.slice(2) };
      else if (SSH_VALUES.has(`-${last}`)) {
        value = args[++i];
        if (value !== undefined) own.push(value);
      }
      const m =
        value !== undefined && (t === '-o' || t.startsWith('-o'))
          ? /^\s*(?:ProxyCommand|LocalCommand|KnownHostsCommand|Match\s+exec)\s*[= ]\s*(.*)$/is.exec(value.text)
          : null;
      if (m !== null) local.push({ ...value!, text: m[1]! });
      continue;
    }
    if (host !== undefined) break;
    host = t;
    own.push(w);
    if (terminated) {
      i++;
      break;
    }
  }
  const rest = args.slice(i);
  const remote =
    rest.length > 0
      ? { text: rest.map((w) => w.text).join(' '), dynamic: rest.some((w) => w.dynamic), lead: false, glob: false }
      : undefined;
  return { own, host, remote, local };
}
