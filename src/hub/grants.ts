/**
 * Live grants on the hub (decision 1103). A host's link marks the view of an approved request whose
 * grant is live (`revocable`, with the grant's uses left and expiry) and adds the extension its rule
 * allows (`extendOffer`); the hub keeps the grant's expiry in `requests.grant_until` (migration 9),
 * so "live" is one indexed comparison with the hub's clock. What a host sends is checked here before
 * any surface shows it: a malformed mark or offer is dropped, never shown. Extending or revoking is
 * a hub-signed vote of its own version (v3, src/hub/vote.ts) that the host applies through the same
 * paths as its own Slack and web page, or refuses and records.
 */
import { z } from 'zod';
import { extendStatementSchema } from '../approval/extend.js';
import type { ChannelIdentity, LiveGrant, RequestView } from '../channels/types.js';
import type { HubStore } from './store.js';

const grantShape = extendStatementSchema.shape.from;
const offerShape = z.object({ from: grantShape, to: grantShape }).strict();

export type GrantShown = z.infer<typeof grantShape>;

/** The grant of an approved view a host marked live, when the mark is well formed. */
export function grantOf(view: RequestView): GrantShown | undefined {
  if (view.state !== 'approved' || view.revocable !== true) return undefined;
  const g = grantShape.safeParse((view as { grant?: unknown }).grant);
  return g.success && g.data.usesLeft > 0 ? g.data : undefined;
}

/** When the grant a view shows stops being usable (the `grant_until` column), or null when none is live. */
export function grantUntil(view: RequestView): string | null {
  return grantOf(view)?.expiresAt ?? null;
}

/**
 * A host's view with its grant marks kept only when well formed: `revocable` with a live grant,
 * `extendOffer` of the shape the host's daemon computes. Anything else is dropped.
 */
export function checkedGrantMarks(view: RequestView): RequestView {
  const { revocable: _r, extendOffer: _o, ...rest } = view;
  if (grantOf(view) === undefined) return rest;
  const offer = offerShape.safeParse(view.extendOffer);
  return { ...rest, revocable: true, ...(offer.success ? { extendOffer: offer.data } : {}) };
}

/** An extension or revocation asked for on a hub surface, for the request `<id>@<host>`. */
export interface HubGrantAction {
  hostName: string;
  requestId: string;
  action: 'extend' | 'revoke';
  identity: ChannelIdentity;
  from?: unknown;
  to?: unknown;
}

/**
 * Records the action as a hub-signed vote for the request's host (v3), or says why not (no such
 * request, no live grant). The host checks it in full either way.
 */
export function addGrantAction(store: HubStore, a: HubGrantAction, votePem: string): Promise<string | undefined> {
  return store.addVote(
    a.hostName,
    a.requestId,
    {
      action: a.action,
      identity: a.identity,
      ...(a.action === 'extend' ? { from: a.from ?? null, to: a.to ?? null } : {}),
    },
    votePem,
  );
}

/** A live grant on the hub: its host's name, its view (marks checked) and the grant as the host last sent it. */
export interface HubLiveGrant extends LiveGrant {
  hostName: string;
}

/** The live grants of the hosts a condition (SQL on `r`, parameters from $1) selects, oldest first. */
export async function liveGrantsWhere(store: HubStore, where: string, params: unknown[]): Promise<HubLiveGrant[]> {
  const r = await store.pool.query<{ name: string; view: RequestView }>(
    `SELECT h.name, r.view FROM requests r JOIN hosts h ON h.id = r.host_id
     WHERE r.grant_until > now() AND ${where} ORDER BY r.rev LIMIT 1000`,
    params,
  );
  return r.rows.flatMap(({ name, view }) => {
    const grant = grantOf(view);
    return grant === undefined ? [] : [{ hostName: name, view: checkedGrantMarks(view), grant }];
  });
}
