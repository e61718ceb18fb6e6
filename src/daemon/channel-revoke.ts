/**
 * Revoking a grant from a channel (Slack, decision 1094). Revocation only narrows what is allowed,
 * so any channel identity mapped to an enrolled approver of this daemon may revoke, as anyone local
 * may with `guard revoke`; nobody else. The revocation is recorded (`grant_revoked`) with the
 * channel's identity; a refusal as `approval_refused` with action `revoke`, and told to the clicker.
 */
import { channelSubjects } from '../identity/load.js';
import type { ApproverRecord } from '../approval/types.js';
import { isRefusal } from '../request/refusal.js';
import { Refused, refusal, type Refusal } from '../request/refusal.js';
import type { StoredRequest } from '../request/state.js';
import { channelApprover, type ChannelIdentity } from '../request/vote.js';
import { messageOf } from '../errors.js';
import type { DaemonContext } from './context.js';

/** A revocation asked for on a channel: the request and the identity the channel verified. */
export interface ChannelRevocation {
  requestId: string;
  identity: ChannelIdentity;
}

/** Whether a channel may offer to revoke this request's grant: approved, and the grant still live. */
export function revocable(r: StoredRequest, now: Date): boolean {
  const g = r.grant;
  return (
    r.state === 'approved' && g !== undefined && !g.revoked && g.usesLeft > 0 && Date.parse(g.expiresAt) > now.getTime()
  );
}

/** ChannelHost.revoke: null when revoked, else the refusal (recorded). */
export async function channelRevoke(ctx: DaemonContext, e: ChannelRevocation): Promise<string | null> {
  const out = await revokeChecked(ctx, e);
  return isRefusal(out) ? refusedOnChannel(ctx, 'revoke', e, out) : null;
}

/** A channel's extension or revocation refused: recorded as `approval_refused` and logged; the text for the clicker. */
export async function refusedOnChannel(
  ctx: DaemonContext,
  action: 'extend' | 'revoke',
  e: { requestId: string; identity: ChannelIdentity },
  out: Refusal,
): Promise<string> {
  await ctx.ledger.append('approval_refused', {
    requestId: e.requestId,
    action,
    channel: e.identity.channel,
    identity: e.identity.id,
    verifiedBy: e.identity.verifiedBy ?? null,
    code: out.refused,
    reason: out.reason,
  });
  ctx.log.warn(`${action} from ${e.identity.channel} refused: ${e.requestId}: ${out.reason}`);
  return out.reason;
}

async function revokeChecked(ctx: DaemonContext, e: ChannelRevocation): Promise<StoredRequest | Refusal> {
  let approvers: ApproverRecord[];
  try {
    approvers = ctx.approvers();
  } catch (err) {
    // fail closed: an unreadable registry maps nobody
    return refusal(Refused.UnknownApprover, `the approver registry cannot be read: ${messageOf(err)}`);
  }
  const match = channelApprover(e.identity, approvers, channelSubjects(ctx.env));
  const who = e.identity.display ?? e.identity.id;
  if (match === undefined) return refusal(Refused.UnknownApprover, `${who} is not an enrolled approver`);
  const by = `${match.approver.name} (${e.identity.channel} ${e.identity.id})`;
  return ctx.machine.revokeFromChannel(e.requestId, by, `revoked on ${e.identity.channel} by ${match.approver.name}`, {
    approver: match.approver.name,
    channel: e.identity.channel,
    identity: e.identity.id,
    verifiedBy: e.identity.verifiedBy ?? null,
    ...(match.subject === undefined ? {} : { subject: match.subject }),
  });
}
