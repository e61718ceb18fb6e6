/**
 * Live grants for the daemon's web approval page (decision 1092): the approved grants still usable
 * (`revocable`, decision 1094), each with the extension its rule allows (`channelView`, decision
 * 1091). Extending and revoking them go through the channel paths (`host.extend`, `host.revoke`).
 */
import { grantState } from '../approval/extend.js';
import type { LiveGrant } from '../channels/types.js';
import { channelView } from './channel-extend.js';
import { revocable } from './channel-revoke.js';
import type { DaemonContext } from './context.js';

/** The approved requests whose grant is not revoked, used up or expired, oldest first. */
export function liveGrants(ctx: Pick<DaemonContext, 'store' | 'now'>): LiveGrant[] {
  const now = ctx.now();
  return ctx.store
    .live()
    .filter((r) => revocable(r, now))
    .map((r) => ({ view: channelView(r, now), grant: grantState(r.grant!) }));
}
