/**
 * Extending a grant from a channel (Slack, decision 1091): the channel's verified identity instead
 * of an approver signature, and otherwise exactly decision 1087's rules (src/approval/extend.ts):
 * the grant as shown (`from`, compare-and-set), one eligible approver on a quorum-of-one rule,
 * within `max_uses` / `max_ttl` from now. Step-up rules are not extended from a channel. The offer a
 * channel shows is computed here from the stored request, but what comes back is the surface's
 * user's to forge, so it is checked again in full. Pure.
 */
import { extendStatementSchema, extensionCheck, grantState } from '../approval/extend.js';
import type { ApproverRecord } from '../approval/types.js';
import type { JsonValue } from '../ledger/types.js';
import { refusal, Refused, type Refusal } from './refusal.js';
import type { ExtendOffer, LedgerItem, StoredRequest } from './state.js';
import { channelApprover, type ChannelIdentity, type ChannelSubjects } from './vote.js';
import { lazily } from '../util/lazily.js';

/** An extension asked for on a channel: the grant as the surface showed it and as it should become. */
export interface ChannelExtension {
  requestId: string;
  identity: ChannelIdentity;
  from: unknown;
  to: unknown;
}

const grantShape = lazily(() => extendStatementSchema.shape.from);

/**
 * What a channel may offer for an approved request: its live grant now, and the widest extension
 * the rule allows (`max_uses` uses left, `max_ttl` from now). None for a grant that is not live, a
 * rule without both bounds, a quorum above one, or a step-up rule.
 */
export function extendOffer(r: StoredRequest, now: Date): ExtendOffer | undefined {
  const g = r.grant;
  const s = r.settings;
  if (r.state !== 'approved' || g === undefined || g.revoked || g.usesLeft < 1) return undefined;
  if (s.maxUses === undefined || s.maxTtlSeconds === undefined || s.quorum > 1 || s.stepUp === true) return undefined;
  const expires = Date.parse(g.expiresAt);
  if (!(expires > now.getTime())) return undefined;
  const to = { usesLeft: Math.max(g.usesLeft, s.maxUses), expiresAt: new Date(now.getTime() + s.maxTtlSeconds * 1000) };
  // never shorter than the grant already is (an extension only adds)
  if (to.expiresAt.getTime() < expires) to.expiresAt = new Date(expires);
  const offer = { from: grantState(g), to: { usesLeft: to.usesLeft, expiresAt: to.expiresAt.toISOString() } };
  if (offer.to.usesLeft === g.usesLeft && to.expiresAt.getTime() === expires) return undefined;
  return offer;
}

export function extendByChannel(
  r: StoredRequest,
  e: ChannelExtension,
  now: Date,
  approvers: ApproverRecord[],
  subjects: ChannelSubjects | undefined,
): { next: StoredRequest; records: LedgerItem[] } | Refusal {
  const match = channelApprover(e.identity, approvers, subjects);
  const who = e.identity.display ?? e.identity.id;
  if (match === undefined) return refusal(Refused.UnknownApprover, `${who} is not an enrolled approver`);
  if (r.settings.stepUp === true)
    return refusal(
      Refused.ExtendRefused,
      `request ${r.id}'s rule needs a fresh sign-in to approve; extend its grant with \`guard extend\``,
    );
  const from = grantShape.safeParse(e.from);
  const to = grantShape.safeParse(e.to);
  if (!from.success || !to.success) return refusal(Refused.ExtendRefused, 'the extension asked for is malformed');
  const c = extensionCheck(r, match.approver, from.data, to.data, now);
  if (!c.ok) return refusal(Refused.ExtendRefused, c.reason);
  const payload: Record<string, JsonValue> = {
    requestId: r.id,
    approver: match.approver.name,
    channel: e.identity.channel,
    identity: e.identity.id,
    verifiedBy: e.identity.verifiedBy ?? null,
    ...(match.subject === undefined ? {} : { subject: match.subject }),
    at: now.toISOString(),
    from: grantState(r.grant!),
    to: grantState(c.grant),
  };
  return { next: { ...r, grant: c.grant }, records: [{ type: 'grant_extended', payload }] };
}
