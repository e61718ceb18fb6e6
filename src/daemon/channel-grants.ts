/**
 * Live grants for the daemon's web approval page (decisions 1092, 1093): the approved grants still
 * usable, each with the extension its rule allows (`channelView`, decision 1091), and revocation by
 * a channel identity. Revocation only narrows, so any identity that maps to an enrolled approver of
 * this daemon may revoke; it is recorded (`grant_revoked`) with `by` naming the approver and the
 * identity. An unmapped identity is refused and recorded (`approval_refused`, action `revoke`).
 */
import { grantState } from '../approval/extend.js';
import type { ChannelIdentity, LiveGrant } from '../channels/types.js';
import { messageOf } from '../errors.js';
import { channelView } from './channel-extend.js';
import type { DaemonContext } from './context.js';
import { approverOf } from './shown-view.js';

/** The approved requests whose grant is not revoked, used up or expired, oldest first. */
export function liveGrants(ctx: Pick<DaemonContext, 'store' | 'now'>): LiveGrant[] {
  const now = ctx.now();
  const out: LiveGrant[] = [];
  for (const r of ctx.store.live()) {
    const g = r.grant;
    if (r.state !== 'approved' || g === undefined || g.revoked || g.usesLeft < 1) continue;
    if (!(Date.parse(g.expiresAt) > now.getTime())) continue;
    out.push({ view: channelView(r, now), grant: grantState(g) });
  }
  return out;
}

/** ChannelHost.revoke: null when revoked, else the refusal (an unmapped identity's is recorded). */
export async function channelRevoke(
  ctx: DaemonContext,
  requestId: string,
  identity: ChannelIdentity,
): Promise<string | null> {
  const approver = approverOf(ctx, identity);
  if (approver === undefined) {
    const reason = `${identity.display ?? identity.id} is not an enrolled approver`;
    await ctx.ledger.append('approval_refused', {
      requestId,
      action: 'revoke',
      channel: identity.channel,
      identity: identity.id,
      verifiedBy: identity.verifiedBy ?? null,
      code: 'unknown-approver',
      reason,
    });
    return reason;
  }
  try {
    const via = identity.verifiedBy === undefined ? '' : ` ${identity.verifiedBy}`;
    await ctx.machine.revoke(requestId, `${approver} (${identity.channel}${via} subject ${identity.id})`, undefined);
    return null;
  } catch (err) {
    ctx.log.warn(`revoke from ${identity.channel} refused: ${requestId}: ${messageOf(err)}`);
    return messageOf(err);
  }
}
