import { gitCarried } from './git-config.js';
import { dbShellEscapes, optionCommands } from './option-commands.js';
import type { Word } from '../shell/words.js';

/**
 * Programs that are judged themselves but also carry shell text in an argument: the text is
 * judged as a script too. Pure word-level extraction; the resolver parses what is returned.
 */
export interface Carried {
  /** Shell text found in the arguments. */
  scripts: Word[];
  /** The program reads commands from stdin (at, batch, crontab -): judge piped text. */
  stdin: boolean;
  /** The program runs text that cannot be read statically (sed s///e). */
  unresolved?: string;
}

/** Environment variables whose value a program runs as a command. */
export const COMMAND_VARS = new Set([
  'PAGER',
  'GIT_PAGER',
  'MANPAGER',
  'EDITOR',
  'VISUAL',
  'GIT_EDITOR',
  'GIT_SEQUENCE_EDITOR',
  'GIT_SSH_COMMAND',
  'GIT_EXTERNAL_DIFF',
  'GIT_ASKPASS',
  'SSH_ASKPASS',
  'SUDO_ASKPASS',
  'LESSOPEN',
  'LESSCLOSE',
  'BROWSER',
  'PROMPT_COMMAND',
  'FZF_DEFAULT_COMMAND',
  'RSYNC_RSH',
  'AWS_PAGER',
  'KUBE_EDITOR',
  'KUBECTL_EXTERNAL_DIFF',
  'GIT_EXTERNAL_DIFF',
  'SUDO_EDITOR',
  'SYSTEMD_PAGER',
  'SYSTEMD_EDITOR',
  'GH_PAGER',
  'GH_EDITOR',
  'PSQL_PAGER',
  'PSQL_EDITOR',
  'FCEDIT',
  'GIT_PROXY_COMMAND',
  'CVS_RSH',
]);

const EDITORS = /^(?:vi|vim|nvim|view|vimdiff|ex|gvim|rvim)$/;

const TMUX_SHELL = new Set([
  'new-session',
  'new',
  'new-window',
  'neww',
  'split-window',
  'splitw',
  'respawn-pane',
  'respawnp',
  'respawn-window',
  'respawnw',
  'run-shell',
  'run',
  'send-keys',
  'send',
  'display-popup',
  'popup',
  'if-shell',
  'if',
]);
const TMUX_VALUES = new Set(['-t', '-s', '-n', '-c', '-e', '-F', '-x', '-y', '-l', '-p', '-L', '-S', '-f', '-T']);

const AWK_SHELL = /\bsystem\s*\(|\|\s*getline|\|\s*"|print[^;\n]*\|/;
const AWK_LITERAL_SITES =
  /\bsystem\s*\(\s*"(?:[^"\\]|\\.)*"\s*\)|"(?:[^"\\]|\\.)*"\s*\|\s*getline|\|\s*"(?:[^"\\]|\\.)*"/g;

export function carried(name: string, args: Word[], stdin?: string): Carried | undefined {
  const texts = (ws: Word[]): Carried => ({ scripts: ws, stdin: false });
  const opt = optionCommands(name, args) ?? dbShellEscapes(name, args, stdin);
  if (opt !== undefined && opt.length > 0) return texts(opt);
  if (name === 'less' || name === 'more') {
    // less +'!cmd' runs cmd as its first command
    const bang = args.filter((w) => w.text.startsWith('+') && w.text.includes('!'));
    return bang.length > 0
      ? texts(bang.map((w) => ({ ...w, text: w.text.slice(w.text.indexOf('!') + 1) })))
      : undefined;
  }
  switch (name) {
    case 'alias':
      // alias name='cmd': the value runs whenever the alias is used
      return texts(
        args
          .filter((w) => /^[^=\s-][^=\s]*=/.test(w.text))
          .map((w) => ({ ...w, text: w.text.slice(w.text.indexOf('=') + 1) })),
      );
    case 'trap': {
      const first = args[0];
      return first !== undefined && !first.text.startsWith('-') ? texts([first]) : texts([]);
    }
    case 'git':
      return args.some((w) => w.text.startsWith('--config-env'))
        ? {
            scripts: gitCarried(args),
            stdin: false,
            unresolved: 'git --config-env takes configuration (aliases, pagers) from the environment',
          }
        : texts(gitCarried(args));
    case 'tmux': {
      const sub = args.findIndex((w) => !w.text.startsWith('-'));
      if (sub === -1 || !TMUX_SHELL.has(args[sub]!.text)) return undefined;
      const out: Word[] = [];
      for (let i = sub + 1; i < args.length; i++) {
        const t = args[i]!.text;
        if (TMUX_VALUES.has(t)) i++;
        else if (!t.startsWith('-') && !/^(Enter|C-m|KPEnter)$/.test(t)) out.push(args[i]!);
      }
      return texts(
        out.length > 0
          ? [{ text: out.map((w) => w.text).join(' '), dynamic: out.some((w) => w.dynamic), lead: false, glob: false }]
          : [],
      );
    }
    case 'at':
    case 'batch':
      return args.some(
        (w) => w.text === '-f' || w.text === '-l' || w.text === '-r' || w.text === '-d' || w.text === '-c',
      )
        ? undefined
        : { scripts: [], stdin: true };
    case 'crontab':
      return args.length === 0 || args.some((w) => w.text === '-') ? { scripts: [], stdin: true } : undefined;
    case 'npx':
    case 'npm':
    case 'pnpm': {
      const i = args.findIndex((w) => w.text === '-c' || w.text === '--call');
      const eq = args.find((w) => w.text.startsWith('--call='));
      if (eq !== undefined) return texts([{ ...eq, text: eq.text.slice('--call='.length) }]);
      return i !== -1 && args[i + 1] !== undefined ? texts([args[i + 1]!]) : undefined;
    }
    default:
      break;
  }
  if (EDITORS.test(name)) {
    // vim -c '!cmd' / +'!cmd' / --cmd: ex commands; `!` (also `:r !`, `:w !`) runs a shell
    const out: Word[] = [];
    for (let i = 0; i < args.length; i++) {
      const t = args[i]!.text;
      const v =
        t === '-c' || t === '--cmd' ? args[++i] : t.startsWith('+') ? { ...args[i]!, text: t.slice(1) } : undefined;
      const bang = v !== undefined ? v.text.indexOf('!') : -1;
      if (v !== undefined && bang !== -1) out.push({ ...v, text: v.text.slice(bang + 1) });
      else if (v !== undefined && /\b(?:system|systemlist|jobstart|termopen)\s*\(/.test(v.text))
        return { scripts: out, stdin: false, unresolved: `${name} runs an ex command that starts a process` };
    }
    return texts(out);
  }
  if (name === 'emacs' || name === 'emacsclient') {
    const out: Word[] = [];
    let procs = false;
    for (let i = 0; i < args.length; i++) {
      const t = args[i]!.text;
      const v =
        t === '--eval' || t === '-eval' || t === '--execute' || t === '-e'
          ? args[++i]
          : t.startsWith('--eval=')
            ? { ...args[i]!, text: t.slice(7) }
            : undefined;
      if (v === undefined) continue;
      if (
        /\b(?:shell-command|call-process|start-process|make-process|process-file|async-shell-command|delete-directory|dired-delete-file|eval|funcall|apply|load)\b/.test(
          v.text,
        )
      )
        procs = true;
      for (const m of v.text.matchAll(/"((?:[^"\\]|\\.)*)"/g)) out.push({ ...v, text: m[1]!.replace(/\\(.)/g, '$1') });
    }
    return procs
      ? { scripts: out, stdin: false, unresolved: `${name} evaluates Lisp that starts processes or deletes files` }
      : undefined;
  }
  if (name === 'make' || name === 'gmake' || name === 'bmake') {
    // recipes are shell text: --eval/-E text and makefiles generated at run time or read from stdin
    for (let i = 0; i < args.length; i++) {
      const t = args[i]!.text;
      const f =
        t === '-f' || t === '--file' || t === '--makefile'
          ? args[i + 1]
          : /^(?:--file=|--makefile=|-f)(.+)$/.exec(t)
            ? { ...args[i]!, text: t.replace(/^(?:--file=|--makefile=|-f)/, '') }
            : undefined;
      if (f !== undefined && (f.dynamic || f.lead || f.text === '-' || f.text.startsWith('/dev/')))
        return { scripts: [], stdin: false, unresolved: `${name} reads a makefile generated at run time (${f.text})` };
      if (t === '--eval' || t === '-E' || t.startsWith('--eval=') || (t.startsWith('-E') && t.length > 2))
        return { scripts: [], stdin: false, unresolved: `${name} evaluates makefile text given on the command line` };
    }
    return undefined;
  }
  if (name === 'sed' || name === 'gsed') {
    // GNU sed: the `e` command runs a shell command; s///e runs the pattern space
    const scripts = args
      .filter((w) => !w.text.startsWith('-') || w.text.startsWith('-e'))
      .map((w) => w.text.replace(/^-e/, ''));
    if (scripts.some((t) => /s(.).*\1.*\1[gpimIM0-9]*e/.test(t)))
      return { scripts: [], stdin: false, unresolved: `${name} s///e runs the edited text as a shell command` };
    const out: Word[] = [];
    for (const t of scripts)
      for (const m of t.matchAll(/(?:^|[;\n{])\s*(?:\d+|\$|\/[^/]*\/)?\s*e\s+([^;\n}]+)/g))
        out.push({ text: m[1]!, dynamic: false, lead: false, glob: false });
    return texts(out);
  }
  if (/^[gmn]?awk$|^busybox-awk$/.test(name)) {
    let i = 0;
    for (; i < args.length; i++) {
      const t = args[i]!.text;
      if (t === '-f' || t.startsWith('--file')) return undefined;
      if (t === '-F' || t === '-v') i++;
      else if (!t.startsWith('-')) break;
    }
    const program = args[i];
    if (program === undefined || !AWK_SHELL.test(program.text)) return undefined;
    const strings = [...program.text.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1'));
    // system("literal"), "literal" | getline and print | "literal" are judged; any other shell-out
    // (system(var), system("rm" " -rf /"), print | cmd) runs text built at run time
    const rest = program.text.replace(AWK_LITERAL_SITES, ' ');
    return {
      scripts: strings.map((s) => ({ text: s, dynamic: false, lead: false, glob: false })),
      stdin: false,
      ...(AWK_SHELL.test(rest) ? { unresolved: `${name} runs a command built at run time` } : {}),
    };
  }
  return undefined;
}
