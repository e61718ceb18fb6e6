/**
 * Live grants for the daemon's web approval page (decision 1092) and the TUI's `grants` message
 * (decision 1100): the approved grants still usable (`revocable`, decision 1094), each with the
 * extension its rule allows (`channelView`, decision 1091). The web page extends and revokes them
 * through the channel paths (`host.extend`, `host.revoke`); the TUI with a signed `grant_extend`
 * and a local `revoke`.
 */
import { grantState } from '../approval/extend.js';
import type { LiveGrant } from '../channels/types.js';
import { channelView } from './channel-extend.js';
import { revocable } from './channel-revoke.js';
import type { DaemonContext } from './context.js';
import type { StoredRequest } from './record.js';

/** The approved requests whose grant is not revoked, used up or expired (and that `readable` passes), oldest first. */
export function liveGrants(
  ctx: Pick<DaemonContext, 'store' | 'now'>,
  readable: (r: StoredRequest) => boolean = () => true,
): LiveGrant[] {
  const now = ctx.now();
  return ctx.store
    .live()
    .filter((r) => revocable(r, now) && readable(r))
    .map((r) => ({
      view: channelView(r, now),
      grant: { ...grantState(r.grant!), ...(r.grant!.scope === undefined ? {} : { scope: r.grant!.scope.text }) },
    }));
}
