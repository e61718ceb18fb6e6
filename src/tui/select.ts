/**
 * Derived views of the state: which requests are listed, in what order, and whether the
 * selected one can be acted on (and if not, why — the state banner says so).
 */
import type { Risk } from '../policy/types.js';
import { liveGrant } from './grants.js';
import type { Entry, TuiState } from './model.js';
import { isOpen } from '../request/state.js';

const RISK_RANK: Record<Risk, number> = { critical: 4, high: 3, medium: 2, low: 1 };

export function riskRank(risk: string): number {
  return RISK_RANK[risk as Risk] ?? 5; // an unknown risk level sorts as the most dangerous
}

export function isOpenState(state: string): boolean {
  return isOpen({ state });
}

function matches(e: Entry, words: string[], granted: boolean): boolean {
  const v = e.view;
  const hay = [
    // "grant" in the filter lists the live grants
    granted ? 'grant' : undefined,
    v.id,
    v.command,
    v.requester.user,
    v.requester.agent,
    v.requester.host,
    v.risk,
    v.state,
    v.ticket,
    v.reason,
  ]
    .filter((s): s is string => typeof s === 'string')
    .join('\n')
    .toLowerCase();
  return words.every((w) => hay.includes(w));
}

/** Open requests first, then live grants (`granted`), then riskiest, then newest. */
export function compareEntries(a: Entry, b: Entry, granted: (e: Entry) => boolean = () => false): number {
  const open = Number(isOpenState(b.view.state) && b.live) - Number(isOpenState(a.view.state) && a.live);
  if (open !== 0) return open;
  const live = Number(granted(b)) - Number(granted(a));
  if (live !== 0) return live;
  const risk = riskRank(b.view.risk) - riskRank(a.view.risk);
  if (risk !== 0) return risk;
  const created = (Date.parse(b.view.createdAt) || 0) - (Date.parse(a.view.createdAt) || 0);
  if (created !== 0) return created;
  return b.seen - a.seen;
}

/** The listed entries: filtered, sorted. */
export function visibleEntries(state: Pick<TuiState, 'requests' | 'filter' | 'grants' | 'now'>): Entry[] {
  const words = state.filter
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w !== '');
  const granted = (e: Entry): boolean => liveGrant(state, e) !== undefined;
  return Object.values(state.requests)
    .filter((e) => matches(e, words, granted(e)))
    .sort((a, b) => compareEntries(a, b, granted));
}

export function selectedEntry(state: TuiState): Entry | undefined {
  return state.selectedId === undefined ? undefined : state.requests[state.selectedId];
}

/** Why the entry cannot be acted on now, or undefined when it can. */
export function blockedReason(state: TuiState, e: Entry | undefined): string | undefined {
  if (e === undefined) return 'no request selected';
  if (state.connection.status !== 'live') return 'the daemon is unreachable: nothing can be decided until it is back';
  const v = e.view;
  if (!isOpenState(v.state)) {
    const by = v.decidedBy !== undefined && v.decidedBy !== '' ? ` by ${v.decidedBy}` : '';
    const why = v.decisionReason !== undefined && v.decisionReason !== '' ? `: ${v.decisionReason}` : '';
    return `${v.state.toUpperCase()}${by}${why} — nothing left to decide`;
  }
  if (!e.live) return 'no longer listed by the daemon (its state is unknown): nothing can be decided';
  const expires = Date.parse(v.expiresAt);
  if (!Number.isFinite(expires) || expires <= state.now) return 'EXPIRED — nothing left to decide';
  if (state.busy !== undefined) return `sending your ${state.busy.action} decision…`;
  return undefined;
}

/** Why this approver cannot approve (already approved), or undefined. */
export function approveBlockedReason(state: TuiState, e: Entry | undefined): string | undefined {
  const blocked = blockedReason(state, e);
  if (blocked !== undefined) return blocked;
  if (e!.view.approvals.some((a) => a.approver === state.approver))
    return `you (${state.approver}) approved this already; it waits for other approvers`;
  return undefined;
}
