/**
 * Transitions shared by the reducer's halves: requesting an effect, keeping the selection valid,
 * and leaving a prompt whose request can no longer be acted on.
 */
import { grantBlockedReason, grantText, liveGrant, sameGrant } from './grants.js';
import { INTENT_MODE_LIST, type GrantState, type Mode, type Outgoing, type TuiState } from './model.js';
import { blockedReason, visibleEntries } from './select.js';

export const INTENT_MODES: ReadonlySet<Mode> = new Set<Mode>(INTENT_MODE_LIST);

/** Effects kept in the state: far more than can be requested between two renders. */
export const OUTBOX_KEEP = 64;

export function send(state: TuiState, out: DistributiveOmit<Outgoing, 'serial'>): TuiState {
  const serial = state.serial + 1;
  return { ...state, serial, outbox: [...state.outbox.slice(-(OUTBOX_KEEP - 1)), { ...out, serial }] };
}

export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export function ensureSelection(state: TuiState): TuiState {
  if (state.selectedId !== undefined && state.requests[state.selectedId] !== undefined) {
    const visible = visibleEntries(state);
    if (visible.some((e) => e.view.id === state.selectedId) || visible.length === 0) return state;
  }
  const first = visibleEntries(state)[0];
  return { ...state, selectedId: first?.view.id, detailScroll: 0 };
}

/** The request an input mode is about. */
export function targetOf(state: TuiState): string | undefined {
  if (state.mode === 'extend') return state.extending?.requestId;
  return state.mode === 'passphrase' || state.mode === 'scope' || state.mode === 'revoke'
    ? state.pending?.requestId
    : state.selectedId;
}

/** The grant an open extension menu or extension passphrase prompt names (`from`), if that is what it is about. */
function shownGrant(state: TuiState): GrantState | undefined {
  if (state.mode === 'extend') return state.extending?.from;
  return state.pending?.action === 'extend' ? state.pending.from : undefined;
}

/**
 * An input mode whose request can no longer be acted on is left, and the human is told so. About a
 * grant (extend, revoke): the grant must still be live, and for an extension exactly as shown.
 */
export function revalidate(state: TuiState): TuiState {
  if (!INTENT_MODES.has(state.mode)) return state;
  // a batch prompt is about several requests: each is checked again when it is signed and sent
  // (one decided meanwhile is left out and named); only a lost daemon ends the prompt here
  if (state.returnMode === 'batch' && (state.pending === undefined || state.pending.action === 'batch'))
    return state.connection.status === 'live'
      ? state
      : leaveIntent(state, 'the daemon connection was lost: nothing was sent');
  const id = targetOf(state);
  const entry = id === undefined ? undefined : state.requests[id];
  const action = state.mode === 'extend' ? 'extend' : state.pending?.action;
  const aboutGrant = action === 'extend' || action === 'revoke';
  const blocked = (aboutGrant ? grantBlockedReason : blockedReason)({ ...state, busy: undefined }, entry);
  if (blocked !== undefined)
    return leaveIntent(state, `${id ?? 'the request'} changed while you typed: ${blocked}. Nothing was sent.`);
  const shown = shownGrant(state);
  const now = liveGrant(state, entry);
  if (shown !== undefined && now !== undefined && !sameGrant(shown, now))
    return leaveIntent(state, `the grant of ${id ?? 'the request'} changed (now ${grantText(now)}). Nothing was sent.`);
  return state;
}

export function leaveIntent(state: TuiState, message: string): TuiState {
  return {
    ...state,
    mode: state.returnMode,
    input: '',
    secretLength: 0,
    pending: undefined,
    choices: undefined,
    extending: undefined,
    flash: { level: 'error', text: message },
  };
}
