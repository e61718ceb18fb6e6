/**
 * Grant extension from a channel (decision 1091): what the daemon sends a channel about an approved
 * grant (the extension its rule allows), and what it does with an extension clicked there. The
 * request core checks it as a signed one (src/request/channel-extend.ts); a refusal is recorded as
 * `approval_refused` with action `extend` and the channel's identity, and told to the clicker.
 */
import { channelSubjects } from '../identity/load.js';
import { extendOffer, type ChannelExtension } from '../request/channel-extend.js';
import { liveGrantView } from '../request/grant-scope.js';
import { isRefusal } from '../request/refusal.js';
import type { RequestView, StoredRequest } from '../request/state.js';
import type { DaemonContext } from './context.js';
import { refusedOnChannel, revocable } from './channel-revoke.js';

/**
 * The view channels get: an approved grant's extension offer added when its rule allows one, and,
 * while the grant is live, that it may be revoked (decision 1094) and the grant with its scope (1107).
 */
export function channelView(r: StoredRequest, now: Date): RequestView {
  const offer = extendOffer(r, now);
  const view = offer === undefined ? r.view : { ...r.view, extendOffer: offer };
  return revocable(r, now) ? { ...view, revocable: true, liveGrant: liveGrantView(r) } : view;
}

/** ChannelHost.extend: null when extended, else the refusal (recorded). */
export async function channelExtend(ctx: DaemonContext, e: ChannelExtension): Promise<string | null> {
  const out = await ctx.machine.extendFromChannel(e, channelSubjects(ctx.env));
  return isRefusal(out) ? refusedOnChannel(ctx, 'extend', e, out) : null;
}
