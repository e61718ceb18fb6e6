import { addUnresolved, type Analysis, type Base } from '../shell/context.js';
import { NO_STDIN } from '../shell/model.js';
import { resolveCommand, script } from '../shell/resolve.js';
import { makeScript } from '../shell/script-files.js';
import { lit } from '../shell/words.js';
import { autoExecKind, type AutoExecKind } from './autoexec-paths.js';

export { autoExecKind, type AutoExecKind };

/**
 * Files that other programs run later without being asked: a Makefile (`make`), git hooks, shell
 * start-up files, `conftest.py` and `.pth` files (pytest, Python), `package.json` scripts (npm),
 * AWS `credential_process`, a kubeconfig `exec` plugin, ssh_config `ProxyCommand`, git config.
 * A line that writes one is judged as running what it writes ("arm, then trigger", issue 22,
 * decision 0124): the text of the commands in it is judged like any command, and a write whose
 * content the line does not show (cp, mv, sed -i, a download) is unresolved — held, never allowed.
 */
const WHAT: Record<AutoExecKind, string> = {
  make: 'make runs its recipes',
  'git-hook': 'git runs its hooks',
  'shell-rc': 'every new shell runs it',
  python: 'Python or pytest imports it',
  'package-json': 'npm runs its scripts',
  'aws-config': 'the AWS CLI and SDKs run its credential_process',
  kubeconfig: 'kubectl runs its exec plugin',
  'ssh-config': 'ssh runs its ProxyCommand and LocalCommand',
  'git-config': 'git runs the commands its keys name',
};

/** Judge every auto-executed file the line wrote, as running what was written. */
export function judgeAutoExecWrites(a: Analysis): void {
  for (const [path, f] of [...a.files]) {
    const kind = autoExecKind(path);
    if (kind === undefined) continue;
    const base: Base = {
      via: [`written to ${path}`],
      assignments: {},
      stdin: NO_STDIN,
      argFedBy: [],
      writes: [],
      text: `(written to ${path})`,
      depth: 1,
    };
    if (f.text === undefined && f.fragment !== undefined) {
      // `sed -i 's/a/NEW/'`: only NEW is new; judged as written text, and as commands where it may land
      judgeWritten(a, kind, f.fragment, base);
      if (kind === 'make') judgeWritten(a, 'git-hook', f.fragment, base);
      continue;
    }
    if (f.text === undefined) {
      addUnresolved(
        a,
        'autoexec-write',
        base.text,
        `${path} is run later (${WHAT[kind]}), and this line writes it with content guard cannot see (${f.fedBy.join(', ') || 'a command'})`,
      );
      continue;
    }
    judgeWritten(a, kind, f.text, base);
  }
}

/** Judge the text written into a file of this kind as the commands it makes run later. */
export function judgeWritten(a: Analysis, kind: AutoExecKind, text: string, base: Base): void {
  const sh = (s: string): void => script(a, lit(s), base, `text written to ${base.via[0] ?? 'a file'}`);
  switch (kind) {
    case 'git-hook':
    case 'shell-rc':
      sh(text);
      return;
    case 'make': {
      const m = makeScript(text);
      for (const u of m.unknown) addUnresolved(a, 'make-unknown', base.text, u);
      sh(m.script);
      return;
    }
    case 'python':
      resolveCommand(a, [lit('python3'), lit('-c'), lit(text)], base);
      return;
    case 'package-json':
      for (const s of packageScripts(text)) sh(s);
      return;
    case 'aws-config':
      for (const m of text.matchAll(/^\s*credential_process\s*=\s*(.+)$/gim)) sh(m[1]!);
      return;
    case 'kubeconfig':
      for (const argv of kubeExecs(text)) resolveCommand(a, argv.map(lit), base);
      return;
    case 'ssh-config':
      for (const m of text.matchAll(/^\s*(?:ProxyCommand|LocalCommand|KnownHostsCommand)\s*(?:=\s*|\s)(.+)$/gim))
        sh(m[1]!);
      for (const m of text.matchAll(/\bexec\s+"([^"]*)"|\bexec\s+(\S+)/gi)) sh(m[1] ?? m[2]!);
      return;
    case 'git-config': {
      const settings = gitSettings(text);
      if (settings.length > 0)
        resolveCommand(a, [lit('git'), ...settings.flatMap((s) => [lit('-c'), lit(s)]), lit('status')], base);
      return;
    }
  }
}

/**
 * The scripts of a package.json (npm runs them on install, test, publish …). A fragment that is not
 * a whole JSON document (an editing tool's replacement text) is read for `"name": "value"` pairs,
 * every value judged as a command line.
 */
export function packageScripts(text: string): string[] {
  try {
    const doc = JSON.parse(text) as unknown;
    if (typeof doc !== 'object' || doc === null) return [];
    const scripts = (doc as { scripts?: unknown }).scripts;
    const out: string[] = [];
    if (typeof scripts === 'object' && scripts !== null)
      for (const v of Object.values(scripts)) out.push(typeof v === 'string' ? v : '"$NOT_A_STRING"');
    return out;
  } catch {
    return [...text.matchAll(/"(?:[^"\\]|\\.)*"\s*:\s*"((?:[^"\\]|\\.)*)"/g)].map((m) => {
      try {
        return JSON.parse(`"${m[1]!}"`) as string;
      } catch {
        return '"$UNREADABLE_JSON_STRING"';
      }
    });
  }
}

/** kubeconfig `exec` plugins: each `command:` with the `args:` list after it. */
function kubeExecs(text: string): string[][] {
  const out: string[][] = [];
  const lines = text.split(/\r?\n/);
  const unq = (s: string): string => s.trim().replace(/^(['"])(.*)\1$/, '$2');
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*(?:-\s+)?command:\s*(.+)$/.exec(lines[i]!);
    if (m === null) continue;
    const argv = [unq(m[1]!)];
    const args = lines.slice(i + 1).findIndex((l) => /^\s*args:\s*$/.test(l));
    if (args !== -1 && args < 6)
      for (const l of lines.slice(i + 2 + args)) {
        const item = /^\s*-\s+(.+)$/.exec(l);
        if (item === null) break;
        argv.push(unq(item[1]!));
      }
    out.push(argv);
  }
  return out;
}

/** `section.sub.key=value` for every setting of a git config file. */
function gitSettings(text: string): string[] {
  const out: string[] = [];
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s+/, '');
    const head = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\]/.exec(line);
    if (head !== null) {
      section = head[2] === undefined ? head[1]! : `${head[1]!}.${head[2]}`;
      continue;
    }
    const kv = /^([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*))?$/.exec(line);
    if (kv === null || section === '') continue;
    const value = (kv[2] ?? 'true').replace(/^"(.*)"$/, '$1');
    out.push(`${section}.${kv[1]!}=${value}`);
  }
  return out;
}

/**
 * Tools that write a command into such a file for a later run: `npm pkg set scripts.x=…`,
 * `aws configure set …credential_process …`, `kubectl config set-credentials --exec-command=…`.
 * The command is judged now, as the write that arms it.
 */
export function toolWrites(a: Analysis, name: string, args: readonly { text: string }[], next: Base): void {
  const t = args.map((w) => w.text);
  const base = { ...next, via: [...next.via, `${name} writes a command run later`] };
  if ((name === 'npm' || name === 'pnpm') && t[0] === 'pkg' && t[1] === 'set')
    for (const kv of t.slice(2)) {
      const m = /^scripts\.[^=]+=([\s\S]*)$/.exec(kv);
      if (m !== null) script(a, lit(m[1]!), base, 'package.json script');
    }
  if (name === 'aws' && t[0] === 'configure' && t[1] === 'set') {
    const pos = t.slice(2).filter((w) => !w.startsWith('-'));
    if (/(?:^|\.)credential_process$/.test(pos[0] ?? '') && pos[1] !== undefined)
      script(a, lit(pos[1]), base, 'credential_process');
  }
  if ((name === 'kubectl' || name === 'oc') && t.includes('set-credentials')) {
    const value = (opt: string): string[] =>
      t.flatMap((w, i) => (w.startsWith(`${opt}=`) ? [w.slice(opt.length + 1)] : w === opt ? [t[i + 1] ?? ''] : []));
    const cmd = value('--exec-command');
    if (cmd.length > 0) resolveCommand(a, [...cmd, ...value('--exec-arg')].map(lit), base);
  }
}
