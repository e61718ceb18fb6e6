/**
 * What an approver needs in the first five seconds, derived from a request view for every surface
 * (terminal, Slack, Teams): where the command acts (the context as the command itself sets it),
 * one line per destructive action (from the matched rules' impact), what each simple command is
 * (program, subcommand, target) and which words in it are the dangerous ones. Pure; display only.
 */
import type { RequestView } from './types.js';

/** Shell-like words of a (redacted, display) command: quotes removed, no expansion. Display only. */
export function words(cmd: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let has = false;
  for (const ch of cmd) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur !== '') out.push(cur);
      cur = '';
      has = false;
    } else cur += ch;
  }
  if (has || cur !== '') out.push(cur);
  return out;
}

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
/** Programs whose first two plain words name the operation (`aws s3 rm`, `kubectl delete ns`). */
const TWO_LEVEL = new Set(['aws', 'gcloud', 'az', 'kubectl', 'oc', 'helm', 'docker', 'podman', 'gh', 'terraform']);
/** Flags of these programs that take a value (so the value is not mistaken for the target). */
const VALUE_FLAGS = new Set([
  '-n',
  '--namespace',
  '--context',
  '--profile',
  '--region',
  '--project',
  '-h',
  '--host',
  '-U',
  '-d',
  '--dbname',
  '-p',
  '--port',
  '-c',
  '--command',
  '-o',
  '--output',
]);

export interface CommandShape {
  program: string;
  subcommand: string;
  targets: string[];
  flags: string[];
}

/** Program (basename), subcommand, targets and flags of one simple command. */
export function shapeOf(cmd: string): CommandShape {
  const ws = words(cmd);
  let i = 0;
  while (i < ws.length && ASSIGNMENT.test(ws[i] ?? '')) i++;
  const program = (ws[i] ?? '').split('/').pop() ?? '';
  const rest = ws.slice(i + 1);
  const flags: string[] = [];
  const plain: string[] = [];
  for (let j = 0; j < rest.length; j++) {
    const w = rest[j] ?? '';
    if (w.startsWith('-') && w.length > 1) {
      if (VALUE_FLAGS.has(w) && j + 1 < rest.length) {
        j++;
        flags.push(`${w} ${rest[j] ?? ''}`);
      } else flags.push(w);
    } else plain.push(w);
  }
  const depth = TWO_LEVEL.has(program) ? 2 : ['git', 'npm', 'cargo', 'systemctl', 'brew'].includes(program) ? 1 : 0;
  return {
    program,
    subcommand: plain.slice(0, depth).join(' '),
    targets: plain.slice(depth),
    flags,
  };
}

/** The value a flag gives in a word list (`--context prod`, `--context=prod`). */
function flagValue(ws: string[], names: string[]): string | undefined {
  let found: string | undefined;
  ws.forEach((w, i) => {
    for (const n of names) {
      if (w === n && i + 1 < ws.length) found = ws[i + 1];
      else if (w.startsWith(`${n}=`)) found = w.slice(n.length + 1);
    }
  });
  return found;
}

/** Host of a postgres://, mysql://… URL in the words. */
function urlHost(ws: string[]): string | undefined {
  for (const w of ws) {
    const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/\s]*@)?([^/:?\s]+)/i.exec(w);
    if (m !== null && /^(postgres|postgresql|mysql|mongodb|redis|mariadb)/i.test(w)) return m[1];
  }
  return undefined;
}

/** Context entries a simple command sets for itself (they win over the client's context). */
function overridesOf(cmd: string): Record<string, string> {
  const ws = words(cmd);
  const shape = shapeOf(cmd);
  const out: Record<string, string> = {};
  const set = (k: string, v: string | undefined) => {
    if (v !== undefined && v !== '') out[k] = v;
  };
  const p = shape.program;
  if (p === 'kubectl' || p === 'oc' || p === 'helm') {
    set('kube.context', flagValue(ws, ['--context', '--kube-context']));
    set('kube.namespace', flagValue(ws, ['-n', '--namespace']));
    // `kubectl delete namespace web`: the namespace acted on is the target, not the default one
    if (/^(\w+ )?(namespace|namespaces|ns)$/.test(shape.subcommand) && shape.targets[0] !== undefined)
      set('kube.namespace', shape.targets.join(' '));
  }
  if (p === 'aws') {
    set('aws.profile', flagValue(ws, ['--profile']));
    set('aws.region', flagValue(ws, ['--region']));
  }
  if (p === 'gcloud' || p === 'gsutil' || p === 'bq') set('gcloud.project', flagValue(ws, ['--project']));
  if (['psql', 'mysql', 'pg_dump', 'mongo', 'mongosh', 'redis-cli', 'dropdb', 'createdb'].includes(p))
    set('db.host', flagValue(ws, ['-h', '--host']) ?? urlHost(ws));
  return out;
}

/**
 * The client's context as it applies to this command: entries the command sets itself replace
 * the client's value (marked "(set by the command)"), so a value the command overrides is never
 * shown as if it applied. Unknown entries pass through unchanged, whatever their name.
 */
export function effectiveContext(view: RequestView): { context: Record<string, string>; overridden: Set<string> } {
  const found: Record<string, Set<string>> = {};
  for (const c of view.commands.length > 0 ? view.commands : [view.command])
    for (const [k, v] of Object.entries(overridesOf(c))) (found[k] ??= new Set()).add(v);
  const context: Record<string, string> = { ...view.context };
  const overridden = new Set<string>();
  for (const [k, vs] of Object.entries(found)) {
    context[k] = `${[...vs].join(', ')} (set by the command)`;
    overridden.add(k);
  }
  return { context, overridden };
}

/** Context keys that say where a command acts, in the order WHERE shows them. */
const WHERE_KEYS = [
  'kube.context',
  'kube.namespace',
  'aws.profile',
  'aws.region',
  'gcloud.project',
  'terraform.workspace',
  'db.host',
  'ci.provider',
  'git.branch',
];

/** "prod-eu/web", "aws prod eu-west-1", "branch main": the environment in a few words. */
export function whereOf(view: RequestView): string {
  const { context } = effectiveContext(view);
  const v = (k: string) => {
    const s = context[k];
    return s === undefined || s === '' ? undefined : s.replace(' (set by the command)', '');
  };
  const kube = v('kube.context');
  if (kube !== undefined) return v('kube.namespace') === undefined ? kube : `${kube}/${v('kube.namespace')}`;
  if (v('kube.namespace') !== undefined) return `ns ${v('kube.namespace')}`;
  const aws = v('aws.profile');
  if (aws !== undefined) return `aws ${aws}${v('aws.region') === undefined ? '' : ` ${v('aws.region')}`}`;
  for (const k of WHERE_KEYS.slice(4)) {
    const val = v(k);
    if (val !== undefined) return k === 'git.branch' ? `branch ${val}` : val;
  }
  return v('aws.region') ?? '';
}

/** Cut `s` to `width` characters, keeping its start and its end (`kubectl --con…namespace web`). */
export function middleEllipsis(s: string, width: number): string {
  // a string of at most `width` UTF-16 units has at most `width` characters
  if (s.length <= width) return s;
  if (width <= 1) return width === 1 ? '…' : '';
  const head = Math.ceil((width - 1) / 2);
  const tail = width - 1 - head;
  // only the ends are split into code points: a 1 MB value costs no more than a short one
  const start = Array.from(s.slice(0, head * 2)).slice(0, head);
  const end = tail === 0 ? [] : Array.from(s.slice(-tail * 2)).slice(-tail);
  if (Array.from(s.slice(0, (width + 1) * 2)).length <= width) return s;
  return `${start.join('')}…${end.join('')}`;
}

/** Longest action line shown; impact text can quote a whole 20 KB argument. */
export const ACTION_CHARS = 160;

/** One line per matched rule that is not `allow`, identical impacts folded ("×3"), riskiest first. */
export function actionSummaries(view: RequestView): { risk: string; text: string; count: number }[] {
  const rank: Record<string, number> = { critical: 4, high: 3, medium: 2, low: 1 };
  const out = new Map<string, { risk: string; text: string; count: number }>();
  for (const r of view.rules) {
    if (r.effect === 'allow') continue;
    const raw = (r.impact !== undefined && r.impact !== '' ? r.impact : r.description).replace(/\s+/g, ' ').trim();
    const text = middleEllipsis(raw, ACTION_CHARS);
    const seen = out.get(text);
    if (seen !== undefined) {
      seen.count++;
      if ((rank[r.risk] ?? 5) > (rank[seen.risk] ?? 5)) seen.risk = r.risk;
    } else out.set(text, { risk: r.risk, text, count: 1 });
  }
  return [...out.values()].sort((a, b) => (rank[b.risk] ?? 5) - (rank[a.risk] ?? 5));
}

/** Words that make a command destructive; shown highlighted wherever the command is shown. */
const DANGER = new Set(
  [
    'rm',
    'rmdir',
    'delete',
    'destroy',
    'drop',
    'truncate',
    'purge',
    'wipe',
    'shred',
    'mkfs',
    'dd',
    'kill',
    'terminate',
    'reset',
    'revoke',
    'uninstall',
    'rotate',
    'scale',
    'apply',
    'push',
    'force-push',
    'chmod',
    'chown',
    'sudo',
    '--force',
    '-f',
    '--hard',
    '-rf',
    '-fr',
    '-r',
    '--recursive',
    '--all',
    '--force-with-lease',
    '--no-preserve-root',
    '--prune',
    '--cascade',
  ].map((w) => w.toLowerCase()),
);

/** Character ranges of the dangerous words in `s` (whole words, case-insensitive). */
export function dangerRanges(s: string): [number, number][] {
  const out: [number, number][] = [];
  for (const m of s.matchAll(/[^\s;|&()'"`]+/g)) {
    const w = m[0].toLowerCase();
    if (DANGER.has(w) || DANGER.has(w.replace(/[,;]+$/, ''))) out.push([m.index, m.index + m[0].length]);
  }
  return out;
}

/** "aws s3 rm → s3://bucket/x (--recursive)": what a simple command really is. */
export function describeCommand(cmd: string): string {
  const s = shapeOf(cmd);
  const op = [s.program, s.subcommand].filter((x) => x !== '').join(' ');
  const target = s.targets.length === 0 ? '' : ` → ${middleEllipsis(s.targets.join(' '), 60)}`;
  const flags = s.flags.length === 0 ? '' : ` (${middleEllipsis(s.flags.join(' '), 60)})`;
  return `${op}${target}${flags}`;
}

/**
 * The simple commands worth listing: without the whole command line itself (already shown),
 * repeated ones folded into "×N" so 2,000 `true`s are one line.
 */
export function distinctCommands(view: RequestView): { text: string; count: number }[] {
  const out = new Map<string, number>();
  const whole = view.command.trim();
  for (const c of view.commands) {
    const t = c.trim();
    if (t === '' || (t === whole && view.commands.length > 1)) continue;
    out.set(t, (out.get(t) ?? 0) + 1);
  }
  return [...out.entries()].map(([text, count]) => ({ text, count }));
}
