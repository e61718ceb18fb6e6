/**
 * Batch review of one agent session (decision 1081), shared by `guard approve|deny --session` and
 * the approver terminal (decision 1113): which requests belong to the batch, the signed reason that
 * names it, one decision statement per request over that request's own fingerprint, and sending
 * them one by one (a batch is not atomic: each decision stands or is refused alone).
 */
import type { RequestView } from '../channels/types.js';
import type { DecisionStatement, SignedDecision } from './types.js';

export type BatchAction = 'approve' | 'deny';

/** A request as the daemon reports it: the view shown, and the fingerprint a decision binds. */
export interface BatchItem {
  view: RequestView;
  fingerprint: string;
  /** The rule needs a fresh IdP login per approval (step-up): no batch can carry one. */
  stepUp?: boolean | undefined;
}

/** The outcome of one request's decision: its new state, or why it was not recorded. */
export interface BatchResult {
  id: string;
  state?: string | undefined;
  error?: string | undefined;
}

export const isOpenView = (v: Pick<RequestView, 'state'>): boolean => v.state === 'pending' || v.state === 'needs_info';

/** The signed reason: covered by each signature and recorded with each decision. */
export function batchReason(action: BatchAction, count: number, session: string, given?: string): string {
  return `${given === undefined || given === '' ? '' : `${given} — `}batch ${action} of ${count} requests in session ${session}`;
}

/**
 * Why a listed request cannot be part of this batch decision, or undefined. A step-up rule's
 * approval needs a fresh IdP login naming that one request (identity.md, level 3), which only
 * `guard approve ID` and the web page perform; the daemon would refuse it (`step-up-missing`).
 */
export function batchExclusion(item: BatchItem, action: BatchAction, session: string): string | undefined {
  if (item.view.session !== session) return `not in session ${session}`;
  if (!isOpenView(item.view)) return `${item.view.state} now, nothing left to decide`;
  if (action === 'approve' && item.stepUp === true)
    return `its rule needs a fresh sign-in (step-up): approve it alone with \`guard approve ${item.view.id}\` or on the web page`;
  return undefined;
}

/** One ordinary decision statement per request, each over that request's own fingerprint. */
export function batchStatements(
  items: readonly BatchItem[],
  o: { action: BatchAction; reason: string; at: string; approver: string },
): DecisionStatement[] {
  return items.map((d) => ({
    v: 1,
    requestId: d.view.id,
    fingerprint: d.fingerprint,
    action: o.action,
    reason: o.reason,
    at: o.at,
    approver: o.approver,
    preview: d.view.preview?.sha256,
  }));
}

/** Send each signed decision alone, in order; a refusal is that request's result, the rest go on. */
export async function sendEach(
  signed: readonly SignedDecision[],
  send: (s: SignedDecision) => Promise<{ view: RequestView }>,
  explain: (err: unknown) => string,
): Promise<BatchResult[]> {
  const results: BatchResult[] = [];
  for (const s of signed) {
    try {
      const res = await send(s);
      results.push({ id: s.requestId, state: res.view.state });
    } catch (err) {
      results.push({ id: s.requestId, error: explain(err) });
    }
  }
  return results;
}
