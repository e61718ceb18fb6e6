/**
 * Effect previews for held requests (decision 1084): what the tool says the command would do,
 * attached to the request before it is shown to anyone. A preview never decides: a failing, slow
 * or skipped preview is shown as such and the request is held exactly as without it.
 */
import { createHash } from 'node:crypto';
import type { JsonValue } from '../ledger/types.js';
import type { Decision } from '../policy/types.js';
import { redactText } from '../redact/index.js';
import type { RequestPreview } from '../request/state.js';
import { canonicalize } from '../util/canonical.js';
import { planPreview, type PreviewKind, type PreviewPlan } from './detect.js';
import { runPreview, type PreviewRun } from './run.js';

export { planPreview } from './detect.js';

export const PREVIEW_LABEL = 'what the tool said it would do before the decision: the effect may still differ';

const TITLES: Record<PreviewKind, string> = {
  'terraform-plan': 'terraform plan',
  'sql-count': 'rows affected',
  'git-push-drops': 'commits the force-push drops',
  'rm-tree': 'what rm -r removes',
  'kubectl-diff': 'kubectl diff',
  'helm-diff': 'helm diff',
};

export const DEFAULT_PREVIEW_SECONDS = 10;

export interface PreviewSettings {
  enabled: boolean;
  timeoutMs: number;
}

/** From the daemon's own environment (the service unit), never from a client. */
export function previewSettings(env: NodeJS.ProcessEnv): PreviewSettings {
  const s = Number(env['GUARD_PREVIEW_SECONDS']);
  return {
    enabled: env['GUARD_PREVIEW'] !== 'off',
    timeoutMs: (Number.isFinite(s) && s > 0 ? Math.min(s, 300) : DEFAULT_PREVIEW_SECONDS) * 1000,
  };
}

/** A preview for the executor to run as the runner (decision 1096). */
export interface ExecutorJob {
  plan: PreviewPlan;
  withCredentials: boolean;
  timeoutMs: number;
  /** Keep terraform's plan here, to be applied exactly through the executor (decision 1110). */
  keepPlan?: { path: string; words: string[] } | undefined;
}

export interface PreviewInput {
  decision: Decision;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The requester's verified uid and the daemon's own: a preview runs only when they are the same. */
  peerUid: number | undefined;
  daemonUid: number | undefined;
  /** The command receives credentials through the executor (enforced mode). */
  credentialed: boolean;
  /** Runs a preview as the executor runs the command (enforced mode, decision 1096). */
  executor?: ((job: ExecutorJob) => Promise<PreviewRun>) | undefined;
  /** Where a terraform plan is kept to be applied exactly on approval, and the words that apply it. */
  keepPlan?: { path: string; words: string[] } | undefined;
}

/** The preview of a held command, or undefined when it is of no previewable kind. */
export async function previewFor(p: PreviewInput): Promise<RequestPreview | undefined> {
  const settings = previewSettings(p.env);
  if (!settings.enabled) return undefined;
  const planned = planPreview(p.decision);
  if (planned === undefined) return undefined;
  if ('skipped' in planned) return shown(undefined, { status: 'skipped', text: planned.skipped });
  const kind = planned.plan.kind;
  if (p.credentialed) return shown(kind, await throughExecutor(p, planned.plan, settings.timeoutMs));
  if (p.peerUid === undefined || p.peerUid !== p.daemonUid)
    return shown(kind, {
      status: 'skipped',
      text: "not previewed: the requester is not the daemon's user, and a preview never runs with the daemon's rights",
    });
  const options = { cwd: p.cwd, env: p.env, timeoutMs: settings.timeoutMs, keepPlan: p.keepPlan };
  const run = await runPreview(planned.plan, options).catch((err: unknown): PreviewRun => ({
    status: 'failed',
    text: `preview failed: ${(err as Error).message}`,
  }));
  return shown(kind, run);
}

/**
 * Kinds whose preview runs the agent's configuration (Terraform providers and external programs,
 * kubeconfig exec plugins, chart post-renderers) and would do so with the credentials before anyone
 * approved: only when every rule that gives the command credentials says `preview: with_credentials`.
 */
const RUNS_CONFIGURATION = new Set<PreviewKind>(['terraform-plan', 'kubectl-diff', 'helm-diff']);
/** Kinds that read only local files: run as the runner, without the credentials. */
const LOCAL = new Set<PreviewKind>(['git-push-drops', 'rm-tree']);

/** A credentialed command's preview: as the executor runs the command, or why not (decision 1096). */
async function throughExecutor(p: PreviewInput, plan: PreviewPlan, timeoutMs: number): Promise<PreviewRun> {
  if (p.executor === undefined)
    return {
      status: 'skipped',
      text: 'not previewed: this command receives credentials, and this daemon has no executor',
    };
  const givers = p.decision.matches.filter((m) => m.credentials !== undefined);
  const optedIn = givers.length > 0 && givers.every((m) => m.preview === 'with_credentials');
  if (RUNS_CONFIGURATION.has(plan.kind) && !optedIn)
    return {
      status: 'skipped',
      text: `not previewed: ${TITLES[plan.kind]} would run this configuration's code with the command's credentials before anyone approved; a rule opts in with \`preview: with_credentials\``,
    };
  const job = { plan, withCredentials: !LOCAL.has(plan.kind), timeoutMs, keepPlan: p.keepPlan };
  return p.executor(job).catch((err: unknown): PreviewRun => ({
    status: 'failed',
    text: `preview failed: ${(err as Error).message}`,
  }));
}

/** Redacted display form and the sha256 the ledger keeps (over the display form, as for intent). */
function shown(kind: PreviewKind | undefined, run: PreviewRun): RequestPreview {
  const text = redactText(run.text).value;
  const base = { kind: kind ?? 'none', title: kind === undefined ? 'preview' : TITLES[kind], status: run.status, text };
  const sha256 = createHash('sha256').update(canonicalize(base)).digest('hex');
  return { ...base, label: PREVIEW_LABEL, sha256 };
}

/** The ledger form, as extra request-payload fields: kind, status and the hash of the display form. */
export function previewExtra(p: RequestPreview | undefined): { preview?: JsonValue } {
  if (p === undefined) return {};
  return { preview: { kind: p.kind, status: p.status, sha256: p.sha256 } };
}
