/**
 * Live grants in the approver's terminal (decision 1100): which listed requests hold one, why the
 * selected one cannot be extended or revoked, and the extensions offered. The offer itself is the
 * daemon's (`extendOffer`, decision 1091, from the rule's `max_uses` / `max_ttl`); the choices
 * here only split it into more uses, more time, or both, so none can go beyond it. Pure.
 */
import type { ExtendOffer } from '../request/state.js';
import { isOpen, type RequestView } from '../request/state.js';
import type { Entry, ExtendChoice, GrantInfo, GrantState, TuiState } from './model.js';

/** A time extension shorter than this is not offered (the offer grows by the second). */
export const MIN_EXTRA_MS = 60_000;

export const usesText = (n: number): string => `${n} use${n === 1 ? '' : 's'}`;

/** "2 uses left, until 2026-12-06T16:40:00.000Z": a grant exactly as an extension names it. */
export const grantText = (g: GrantState): string => `${usesText(g.usesLeft)} left, until ${g.expiresAt}`;

export function sameGrant(a: GrantState, b: GrantState): boolean {
  return a.usesLeft === b.usesLeft && Date.parse(a.expiresAt) === Date.parse(b.expiresAt);
}

/** The entry's grant when it is live now: approved, reported by the daemon, uses left, not expired. */
export function liveGrant(state: Pick<TuiState, 'grants' | 'now'>, e: Entry | undefined): GrantInfo | undefined {
  if (e === undefined || e.view.state !== 'approved') return undefined;
  const g = state.grants[e.view.id];
  if (g === undefined || g.usesLeft < 1 || !(Date.parse(g.expiresAt) > state.now)) return undefined;
  return g;
}

/** Why the entry's grant cannot be extended or revoked now, or undefined when it can. */
export function grantBlockedReason(state: TuiState, e: Entry | undefined): string | undefined {
  if (e === undefined) return 'no request selected';
  if (state.connection.status !== 'live') return 'the daemon is unreachable: nothing can be sent until it is back';
  const v = e.view;
  if (isOpen(v)) return `${v.id} is ${v.state.toUpperCase()}: it has no grant yet (a approves, d denies)`;
  if (v.state !== 'approved') return `${v.id} is ${v.state.toUpperCase()}: it has no live grant`;
  if (!e.live) return 'no longer listed by the daemon (its state is unknown): nothing can be sent';
  if (liveGrant(state, e) === undefined) return `the grant of ${v.id} is no longer live (used up, revoked or expired)`;
  if (state.busy !== undefined) return `sending your ${state.busy.action}…`;
  return undefined;
}

/** Why a live grant offers no extension: the daemon sends no offer for these rules (decision 1091). */
export function noOfferReason(v: RequestView): string {
  if (v.grantBounds === undefined) return 'its rule allows no extension (no max_uses / max_ttl)';
  if (v.quorum > 1) return `its rule needs ${v.quorum} approvers: one approver cannot extend its grant`;
  return 'its rule needs a fresh sign-in to approve (step-up): extend it with `guard extend`';
}

/** The extensions offered: more uses, more time, or both, each at the offer's bound. */
export function extendChoices(offer: ExtendOffer): ExtendChoice[] {
  const { from, to } = offer;
  const moreUses = to.usesLeft > from.usesLeft;
  const moreTime = Date.parse(to.expiresAt) - Date.parse(from.expiresAt) >= MIN_EXTRA_MS;
  const out: ExtendChoice[] = [];
  if (moreUses) out.push({ label: 'more uses (max_uses)', to: { usesLeft: to.usesLeft, expiresAt: from.expiresAt } });
  if (moreTime)
    out.push({ label: 'more time (max_ttl from now)', to: { usesLeft: from.usesLeft, expiresAt: to.expiresAt } });
  if (moreUses && moreTime) out.push({ label: 'both: the most the rule allows', to: { ...to } });
  return out;
}
