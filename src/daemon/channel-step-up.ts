/**
 * Step-up rules (`approval: { identity: step-up }`) on channel approvals. Only the web approval
 * page can carry a fresh IdP login; a Slack or Teams click or a webhook callback approving such a
 * request is refused and recorded, and told where to approve instead. The web page's login is
 * checked as `guard approve`'s is: the daemon's own view hash, then the token (nonce, issuer,
 * audience, the mapped approver's subject, groups, auth_time after the request).
 */
import type { ChannelDecision } from '../channels/types.js';
import { channelSubjects } from '../identity/load.js';
import type { JsonValue } from '../ledger/types.js';
import { channelApprover } from '../request/vote.js';
import type { DaemonContext } from './context.js';
import { shownViewHash, VIEW_CHANGED } from './shown-view.js';

type Refuse = (ctx: DaemonContext, payload: Record<string, JsonValue>) => Promise<void>;

/**
 * What the approval record keeps of the step-up login (undefined: the rule needs none, or the
 * identity is unmapped and the request core refuses it), or the refusal text (already recorded).
 */
export async function channelStepUp(
  ctx: DaemonContext,
  d: ChannelDecision,
  refuse: Refuse,
): Promise<Record<string, JsonValue> | undefined | string> {
  const r = ctx.store.get(d.requestId);
  if (r?.settings.stepUp !== true || d.action !== 'approve') return undefined;
  const match = channelApprover(d.identity, ctx.approvers(), channelSubjects(ctx.env));
  if (match === undefined) return undefined;
  let c: { ok: true; record: unknown } | { ok: false; code: string; reason: string };
  if (d.identity.channel !== 'web') {
    const url = ctx.channels.map((ch) => ch.approvalUrl?.(r.id)).find((u) => u !== undefined);
    c = {
      ok: false,
      code: 'step-up-needs-web',
      reason: `request ${r.id} needs a fresh sign-in at the identity provider to approve (identity: step-up): ${
        url === undefined
          ? "approve it with `guard approve` (guard's web approval page is not configured)"
          : `approve it at ${url}`
      }`,
    };
  } else if (d.stepUp !== undefined && d.stepUp.viewHash !== shownViewHash(r)) c = VIEW_CHANGED;
  else {
    const { checkStepUp } = await import('../identity/step-up.js');
    const req = { id: r.id, fingerprint: r.fingerprint, createdAt: r.createdAt, groups: r.settings.groups };
    c = await checkStepUp(ctx.env, req, match.approver, d.stepUp, ctx.now());
  }
  if (c.ok) return { stepUp: c.record as JsonValue };
  await refuse(ctx, {
    requestId: r.id,
    approver: match.approver.name,
    action: d.action,
    channel: d.identity.channel,
    identity: d.identity.id,
    verifiedBy: d.identity.verifiedBy ?? null,
    code: c.code,
    reason: c.reason,
  });
  return c.reason;
}
