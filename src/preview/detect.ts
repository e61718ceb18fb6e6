/**
 * Which preview a held command gets (pure: no I/O). A preview is planned only for one plain
 * command, run directly or as the whole text of a shell's `-c` (the hook rewrite's form): with
 * `cd`, `&&`, `sudo` or any other wrapper the directory or user the command runs as is not the one
 * the daemon would preview with, so the preview says so instead of guessing.
 */
import type { Decision, SimpleCommand } from '../policy/types.js';
import { destructiveSql } from './sql.js';

export type PreviewKind = 'terraform-plan' | 'sql-count' | 'git-push-drops' | 'rm-tree' | 'kubectl-diff' | 'helm-diff';

export type PreviewPlan =
  | {
      kind: 'terraform-plan';
      chdir: string | undefined;
      destroy: boolean;
      planFile: string | undefined;
      options: string[];
    }
  | { kind: 'sql-count'; connection: string[]; table: string; where: string | undefined; statement: string }
  | {
      kind: 'git-push-drops';
      gitDir: string | undefined;
      remote: string;
      src: string | undefined;
      dst: string | undefined;
    }
  | { kind: 'rm-tree'; targets: string[] }
  | { kind: 'kubectl-diff'; args: string[] }
  /** `helm diff upgrade …` (the helm-diff plugin) of a `helm upgrade|install`: the arguments after `helm`. */
  | { kind: 'helm-diff'; args: string[] };

/** A plan, or why this held command gets no preview (undefined: nothing to preview). */
export type Planned = { plan: PreviewPlan } | { skipped: string } | undefined;

const SHELLS = new Set(['bash -c', 'sh -c', 'dash -c', 'zsh -c']);

/** The one simple command a preview may run for, or why there is none. */
function soleCommand(d: Decision): SimpleCommand | { skipped: string } {
  const cmds = d.commands;
  const only = cmds.length === 1 ? cmds[0] : undefined;
  if (only !== undefined && only.via.length === 0) return only;
  const inner = cmds.length === 2 ? cmds[1] : undefined;
  if (
    inner !== undefined &&
    inner.via.length === 1 &&
    SHELLS.has(inner.via[0] ?? '') &&
    cmds[0]?.via.length === 0 &&
    Object.keys(inner.assignments).length === 0
  )
    return inner;
  return { skipped: 'not previewed: the command is not one plain program (compound, wrapped or with assignments)' };
}

export function planPreview(d: Decision): Planned {
  if (d.unresolved.length > 0) return undefined;
  const c = soleCommand(d);
  if ('skipped' in c) return previewable(d) ? c : undefined;
  if (Object.keys(c.assignments).length > 0) return undefined;
  return planFor(c.program, c.args);
}

/** Some command of the decision is of a previewable kind (so a skip is worth saying). */
function previewable(d: Decision): boolean {
  return d.commands.some((c) => {
    const p = planFor(c.program, c.args);
    return p !== undefined && 'plan' in p;
  });
}

export function planFor(program: string | undefined, args: readonly string[]): Planned {
  switch (program) {
    case 'terraform':
    case 'tofu':
      return terraform(args);
    case 'psql':
      return psql(args);
    case 'git':
      return gitPush(args);
    case 'rm':
      return rmTree(args);
    case 'kubectl':
      return kubectl(args);
    case 'helm':
      return helm(args);
    default:
      return undefined;
  }
}

/** Options of `terraform apply/destroy` that `plan` takes with the same meaning. */
const TF_PASS = /^-(var|var-file|target|replace|refresh|parallelism|compact-warnings)(=|$)/;
const TF_TAKES_VALUE = new Set(['-var', '-var-file', '-target', '-replace', '-parallelism']);

function terraform(args: readonly string[]): Planned {
  let i = 0;
  let chdir: string | undefined;
  for (; i < args.length && args[i]!.startsWith('-'); i++) {
    const a = args[i]!;
    if (a.startsWith('-chdir=')) chdir = a.slice('-chdir='.length);
    else return { skipped: `not previewed: terraform global option ${a}` };
  }
  const sub = args[i];
  if (sub !== 'apply' && sub !== 'destroy') return undefined;
  const options: string[] = [];
  let planFile: string | undefined;
  let destroy = sub === 'destroy';
  for (let j = i + 1; j < args.length; j++) {
    const a = args[j]!;
    if (a === '-destroy') destroy = true;
    else if (a === '-auto-approve' || a === '-input=false' || a === '-no-color') continue;
    else if (TF_PASS.test(a)) {
      options.push(a);
      if (TF_TAKES_VALUE.has(a)) {
        const v = args[++j];
        if (v === undefined) return { skipped: `not previewed: terraform option ${a} has no value` };
        options.push(v);
      }
    } else if (!a.startsWith('-') && planFile === undefined && sub === 'apply') planFile = a;
    else return { skipped: `not previewed: terraform ${sub} option ${a}` };
  }
  if (planFile !== undefined && (options.length > 0 || destroy))
    return { skipped: 'not previewed: a saved plan with plan options' };
  return { plan: { kind: 'terraform-plan', chdir, destroy, planFile, options } };
}

/** psql options naming where to connect, with a value. */
const PG_CONN = new Set(['-h', '--host', '-p', '--port', '-U', '--username', '-d', '--dbname']);
const PG_FLAGS = new Set([
  '-X',
  '--no-psqlrc',
  '-w',
  '--no-password',
  '-q',
  '--quiet',
  '-A',
  '-t',
  '-1',
  '--single-transaction',
]);

function psql(args: readonly string[]): Planned {
  const connection: string[] = [];
  let sql: string | undefined;
  let commands = 0;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const inline = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : undefined;
    if (name === '-c' || name === '--command') {
      commands++;
      sql = inline ?? args[++i];
    } else if (/^-c./.test(a)) {
      commands++;
      sql = a.slice(2);
    } else if (PG_CONN.has(name)) {
      const v = inline ?? args[++i];
      if (v === undefined) return { skipped: `not previewed: psql option ${name} has no value` };
      connection.push(name.startsWith('--') ? name : name, v);
    } else if (/^-[hpUd]./.test(a)) connection.push(a.slice(0, 2), a.slice(2));
    else if (PG_FLAGS.has(a) || /^-v|^--set|^--variable/.test(a)) {
      if (a === '-v') i++;
    } else if (!a.startsWith('-')) connection.push(a);
    else return undefined; // -f FILE and the like: nothing this preview can read safely
  }
  if (commands !== 1 || sql === undefined) return undefined;
  const s = destructiveSql(sql);
  if (s === undefined) return undefined;
  if ('skipped' in s) return s;
  return { plan: { kind: 'sql-count', connection, ...s } };
}

function gitPush(args: readonly string[]): Planned {
  let i = 0;
  let gitDir: string | undefined;
  for (; i < args.length && args[i]!.startsWith('-'); i++) {
    const a = args[i]!;
    if (a === '-C') gitDir = args[++i];
    else return { skipped: `not previewed: git global option ${a}` };
  }
  if (args[i] !== 'push') return undefined;
  let force = false;
  const words: string[] = [];
  for (let j = i + 1; j < args.length; j++) {
    const a = args[j]!;
    if (a === '--force' || a === '-f' || a.startsWith('--force-with-lease') || a === '--force-if-includes')
      force = true;
    else if (/^-[a-zA-Z]+$/.test(a) && a.includes('f')) force = true;
    else if (a.startsWith('-')) continue;
    else words.push(a);
  }
  const [remote, ...refspecs] = words;
  if (refspecs.some((r) => r.startsWith('+'))) force = true;
  if (!force) return undefined;
  if (refspecs.length > 1) return { skipped: 'not previewed: a force-push of several refs' };
  const spec = (refspecs[0] ?? '').replace(/^\+/, '');
  const [src, dst] = spec.includes(':') ? spec.split(':', 2) : [spec || undefined, spec || undefined];
  if (src === '') return { skipped: 'not previewed: a push that deletes a ref' };
  return { plan: { kind: 'git-push-drops', gitDir, remote: remote ?? 'origin', src, dst } };
}

function rmTree(args: readonly string[]): Planned {
  let recursive = false;
  const targets: string[] = [];
  let ended = false;
  for (const a of args) {
    if (!ended && a === '--') ended = true;
    else if (!ended && (a === '--recursive' || (/^-[a-zA-Z]+$/.test(a) && /[rR]/.test(a)))) recursive = true;
    else if (!ended && a.startsWith('-')) continue;
    else targets.push(a);
  }
  if (!recursive || targets.length === 0) return undefined;
  return { plan: { kind: 'rm-tree', targets } };
}

/** `kubectl apply` options `kubectl diff` takes with the same meaning. */
const KUBE_VALUE = new Set([
  '-f',
  '--filename',
  '-k',
  '--kustomize',
  '-n',
  '--namespace',
  '--context',
  '--kubeconfig',
  '-l',
  '--selector',
]);

function kubectl(args: readonly string[]): Planned {
  const sub = args.findIndex((a) => !a.startsWith('-'));
  const before = args.slice(0, Math.max(sub, 0));
  if (sub < 0 || args[sub] !== 'apply' || before.some((a) => !/^--(context|namespace|kubeconfig)=/.test(a)))
    return undefined;
  const out: string[] = [...before];
  for (let j = sub + 1; j < args.length; j++) {
    const a = args[j]!;
    const name = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    if (KUBE_VALUE.has(name)) {
      out.push(a);
      if (!a.includes('=')) {
        const v = args[++j];
        if (v === undefined) return { skipped: `not previewed: kubectl option ${a} has no value` };
        out.push(v);
      }
    } else if (a === '--server-side' || a === '-R' || a === '--recursive') out.push(a);
    else return { skipped: `not previewed: kubectl apply option ${a}` };
  }
  return { plan: { kind: 'kubectl-diff', args: out } };
}

/** helm's global options (before or after the subcommand) that name the cluster, with a value. */
const HELM_GLOBAL = new Set(['-n', '--namespace', '--kube-context', '--kubeconfig']);
/** `helm upgrade|install` options `helm diff upgrade` takes with the same meaning, with a value. */
const HELM_VALUE = new Set([
  '-f',
  '--values',
  '--set',
  '--set-string',
  '--set-file',
  '--set-json',
  '--set-literal',
  '--version',
  '--repo',
  '--post-renderer',
  '--post-renderer-args',
]);
const HELM_FLAG = new Set([
  '--devel',
  '--reuse-values',
  '--reset-values',
  '--reset-then-reuse-values',
  '--include-crds',
]);
/** Options of how the release is rolled out, not of what it contains: the diff does without them. */
const HELM_ROLLOUT_VALUE = new Set(['--timeout', '--history-max', '--description']);
const HELM_ROLLOUT_FLAG = new Set([
  '--wait',
  '--wait-for-jobs',
  '--atomic',
  '--rollback-on-failure',
  '--cleanup-on-fail',
  '--create-namespace',
  '--force',
  '--no-color',
]);

/**
 * `helm upgrade [--install] RELEASE CHART` and `helm install RELEASE CHART` as `helm diff upgrade`
 * (helm-diff's own argument shape: `diff upgrade [flags] [RELEASE] [CHART]`; `--install` for a
 * release not yet deployed). Anything else the preview does not know is said, not guessed.
 */
function helm(args: readonly string[]): Planned {
  const out: string[] = [];
  const positional: string[] = [];
  let sub: string | undefined;
  let install = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const inline = a.startsWith('--') && eq > 0;
    const value = (): string | undefined => (inline ? undefined : args[++i]);
    if (HELM_GLOBAL.has(name) || (sub !== undefined && HELM_VALUE.has(name))) {
      const v = value();
      if (!inline && v === undefined) return { skipped: `not previewed: helm option ${a} has no value` };
      out.push(a, ...(v === undefined ? [] : [v]));
    } else if (sub !== undefined && HELM_ROLLOUT_VALUE.has(name)) {
      if (!inline && value() === undefined) return { skipped: `not previewed: helm option ${a} has no value` };
    } else if (sub !== undefined && HELM_ROLLOUT_FLAG.has(a)) continue;
    else if (sub !== undefined && HELM_FLAG.has(a)) out.push(a);
    else if (sub === 'upgrade' && (a === '--install' || a === '-i')) install = true;
    else if (a.startsWith('-'))
      return sub === undefined ? undefined : { skipped: `not previewed: helm ${sub} option ${a}` };
    else if (sub === undefined) {
      if (a !== 'upgrade' && a !== 'install') return undefined;
      sub = a;
      install ||= a === 'install';
    } else positional.push(a);
  }
  if (sub === undefined) return undefined;
  if (positional.length !== 2)
    return { skipped: `not previewed: helm ${sub} without exactly a release name and a chart` };
  const [release, chart] = positional as [string, string];
  return {
    plan: {
      kind: 'helm-diff',
      args: ['diff', 'upgrade', ...(install ? ['--install'] : []), '--no-color', ...out, release, chart],
    },
  };
}
