/**
 * The approver terminal's reducer: (state, action) → state. Pure and total: the clock comes in
 * `tick` actions, key presses come in as commands already resolved by keys.ts, and side effects
 * are queued in `state.outbox` (each run once, in order, by the app).
 */
import { grantChoices } from '../approval/grant-choices.js';
import type { RequestView } from '../channels/types.js';
import type { Command } from './keys.js';
import { decide, inputCommand, text } from './input-reducer.js';
import { extendChoices, grantBlockedReason, liveGrant, noOfferReason } from './grants.js';
import { batchIntent, openBatch } from './batch.js';
import type { BatchIntent, ConnectionState, Entry, Flash, GrantInfo, HistoryItem, Intent, TuiState } from './model.js';
import { approveBlockedReason, blockedReason, isOpenState, visibleEntries } from './select.js';
import { ensureSelection, INTENT_MODES, leaveIntent, revalidate, send } from './transitions.js';

export { MAX_TEXT } from './input-reducer.js';

/** How far the screen lets things move: computed by the layout, passed with each command. */
export interface Viewport {
  page: number;
  detailMax: number;
  historyMax: number;
  /** Scroll limit of an opened history record (0 when none is open). */
  recordMax?: number | undefined;
}

export type Action =
  | { type: 'tick'; now: number }
  | { type: 'snapshot'; views: RequestView[] }
  | { type: 'update'; view: RequestView }
  | { type: 'connection'; connection: ConnectionState }
  | { type: 'command'; command: Command; viewport: Viewport }
  | { type: 'text'; text: string }
  | { type: 'unlocked'; until: number }
  | { type: 'unlock-failed'; message: string }
  | { type: 'decided'; intent: Intent; message: string }
  /** A batch was sent: the summary, and per request what happened to its decision. */
  | { type: 'batch-decided'; intent: BatchIntent; message: string; results: Record<string, string> }
  | { type: 'decision-failed'; intent: Intent; message: string; locked: boolean }
  | { type: 'grants-loaded'; grants: GrantInfo[] }
  | { type: 'grants-failed'; message: string }
  | { type: 'history-loaded'; items: HistoryItem[] }
  | { type: 'history-failed'; message: string }
  | { type: 'record-loaded'; requestId: string; items: HistoryItem[] }
  | { type: 'record-failed'; requestId: string; message: string }
  | { type: 'flash'; flash: Flash };

export function reduce(state: TuiState, action: Action): TuiState {
  switch (action.type) {
    case 'tick':
      return tick(state, action.now);
    case 'snapshot':
      return revalidate(snapshot(state, action.views));
    case 'update':
      return revalidate(upsert(state, action.view, true));
    case 'connection':
      return connection(state, action.connection);
    case 'command':
      return command({ ...state, flash: undefined }, action.command, action.viewport);
    case 'text':
      return text(state, action.text);
    case 'unlocked':
      return { ...state, unlockedUntil: action.until };
    case 'unlock-failed':
      return {
        ...state,
        busy: undefined,
        mode: 'passphrase',
        secretLength: 0,
        flash: { level: 'error', text: action.message },
      };
    case 'decided':
      return { ...state, busy: undefined, pending: undefined, flash: { level: 'info', text: action.message } };
    case 'batch-decided': {
      const batch = state.batch === undefined ? undefined : { ...state.batch, results: action.results };
      return { ...state, busy: undefined, pending: undefined, batch, flash: { level: 'info', text: action.message } };
    }
    case 'decision-failed':
      if (action.locked) {
        return {
          ...state,
          busy: undefined,
          unlockedUntil: undefined,
          mode: 'passphrase',
          pending: action.intent,
          secretLength: 0,
          flash: { level: 'error', text: action.message },
        };
      }
      return { ...state, busy: undefined, pending: undefined, flash: { level: 'error', text: action.message } };
    case 'history-loaded':
      return { ...state, history: { status: 'ready', items: action.items }, historyScroll: 0 };
    case 'history-failed':
      return { ...state, history: { status: 'error', items: state.history.items, error: action.message } };
    case 'record-loaded':
    case 'record-failed':
      // an answer for a record no longer open is dropped
      if (state.record?.requestId !== action.requestId) return state;
      return {
        ...state,
        record:
          action.type === 'record-loaded'
            ? { status: 'ready', requestId: action.requestId, items: action.items }
            : { ...state.record, status: 'error', error: action.message },
      };
    case 'flash':
      return { ...state, flash: action.flash };
    case 'grants-loaded':
      return grantsLoaded(state, action.grants);
    case 'grants-failed':
      if (state.mode === 'extend') return leaveIntent(state, `cannot read the grant: ${action.message}`);
      return { ...state, flash: { level: 'error', text: `cannot read the live grants: ${action.message}` } };
  }
}

/** The daemon's live grants replace the known ones; an extension menu waiting for them gets its choices. */
function grantsLoaded(state: TuiState, list: GrantInfo[]): TuiState {
  const grants: Record<string, GrantInfo> = {};
  for (const g of list) grants[g.requestId] = g;
  const next = revalidate({ ...state, grants });
  const ext = next.extending;
  if (next.mode !== 'extend' || ext === undefined || ext.choices !== undefined) return next;
  const entry = next.requests[ext.requestId];
  const offer = grants[ext.requestId]?.extendOffer;
  if (entry === undefined || offer === undefined)
    return leaveIntent(
      next,
      `cannot extend ${ext.requestId}: ${entry === undefined ? 'not listed' : noOfferReason(entry.view)}`,
    );
  const choices = extendChoices(offer);
  if (choices.length === 0)
    return leaveIntent(
      next,
      `cannot extend ${ext.requestId}: the grant already has the most its rule allows (max_uses / max_ttl)`,
    );
  return { ...next, extending: { ...ext, choices } };
}

function tick(state: TuiState, now: number): TuiState {
  let next: TuiState = { ...state, now };
  if (next.unlockedUntil !== undefined && next.unlockedUntil <= now) {
    next = send({ ...next, unlockedUntil: undefined }, { kind: 'lock' });
    if (next.mode !== 'passphrase' && next.busy === undefined)
      next.flash = { level: 'info', text: 'signing key locked again: the next decision asks for the passphrase' };
  }
  return revalidate(prune(next));
}

/** Closed requests stay on screen for this long (for context), then leave the list. */
export const CLOSED_RETENTION_MS = 10 * 60_000;

function prune(state: TuiState): TuiState {
  // a live grant stays listed for as long as it may run a command
  const old = Object.values(state.requests).filter(
    (e) =>
      e.closedAt !== undefined &&
      state.now - e.closedAt >= CLOSED_RETENTION_MS &&
      e.view.id !== state.selectedId &&
      liveGrant(state, e) === undefined,
  );
  if (old.length === 0) return state;
  const requests = { ...state.requests };
  for (const e of old) delete requests[e.view.id];
  return { ...state, requests };
}

function upsert(state: TuiState, view: RequestView, live: boolean): TuiState {
  const prev = state.requests[view.id];
  const closedAt = isOpenState(view.state) ? undefined : (prev?.closedAt ?? state.now);
  const entry: Entry = { view, live, seen: prev?.seen ?? state.nextSeen, closedAt };
  const next = {
    ...state,
    requests: { ...state.requests, [view.id]: entry },
    nextSeen: prev === undefined ? state.nextSeen + 1 : state.nextSeen,
  };
  return ensureSelection(next);
}

function snapshot(state: TuiState, views: RequestView[]): TuiState {
  const ids = new Set(views.map((v) => v.id));
  const requests: Record<string, Entry> = {};
  // Requests the daemon no longer lists keep their last known view, but are never actionable.
  for (const [id, e] of Object.entries(state.requests))
    if (!ids.has(id)) requests[id] = { ...e, live: false, closedAt: e.closedAt ?? state.now };
  let next: TuiState = { ...state, requests };
  for (const v of views) next = upsert(next, v, true);
  // with nothing chosen yet, start at the top of the sorted list (riskiest, newest)
  if (state.selectedId === undefined) next = { ...next, selectedId: visibleEntries(next)[0]?.view.id };
  return ensureSelection(next);
}

function connection(state: TuiState, conn: ConnectionState): TuiState {
  if (conn.status === 'live') return { ...state, connection: conn };
  const requests: Record<string, Entry> = {};
  for (const [id, e] of Object.entries(state.requests)) requests[id] = { ...e, live: false };
  const wasLive = state.connection.status === 'live';
  let next: TuiState = { ...state, connection: conn, requests };
  if (INTENT_MODES.has(next.mode)) {
    next = leaveIntent(next, 'the daemon connection was lost: nothing was sent');
  } else if (wasLive) {
    next.flash = {
      level: 'error',
      text: 'lost the daemon connection: requests below are not actionable until it is back',
    };
  }
  return next;
}

function command(state: TuiState, cmd: Command, vp: Viewport): TuiState {
  if (cmd === 'quit') return send(state, { kind: 'quit' });
  switch (state.mode) {
    case 'list':
      return listCommand(state, cmd, vp);
    case 'detail':
      return detailCommand(state, cmd, vp);
    case 'history':
      return historyCommand(state, cmd, vp);
    case 'record':
      return recordCommand(state, cmd, vp);
    case 'batch':
      return batchCommand(state, cmd, vp);
    case 'filter':
    case 'deny-reason':
    case 'ask':
    case 'passphrase':
    case 'scope':
    case 'extend':
    case 'revoke':
      return inputCommand(state, cmd);
  }
}

function move(state: TuiState, cmd: Command, vp: Viewport): TuiState {
  const visible = visibleEntries(state);
  if (visible.length === 0) return state;
  const at = Math.max(
    0,
    visible.findIndex((e) => e.view.id === state.selectedId),
  );
  const page = Math.max(1, vp.page);
  const deltas: Partial<Record<Command, number>> = { up: -1, down: 1, 'page-up': -page, 'page-down': page };
  let to = at;
  if (cmd === 'top') to = 0;
  else if (cmd === 'bottom') to = visible.length - 1;
  else to = at + (deltas[cmd] ?? 0);
  to = Math.min(visible.length - 1, Math.max(0, to));
  const id = visible[to]!.view.id;
  return id === state.selectedId ? state : { ...state, selectedId: id, detailScroll: 0 };
}

function scroll(current: number, cmd: Command, page: number, max: number): number {
  const deltas: Partial<Record<Command, number>> = { up: -1, down: 1, 'page-up': -page, 'page-down': page };
  let to = current;
  if (cmd === 'top') to = 0;
  else if (cmd === 'bottom') to = max;
  else to = current + (deltas[cmd] ?? 0);
  return Math.min(Math.max(0, max), Math.max(0, to));
}

const MOVES: ReadonlySet<Command> = new Set<Command>(['up', 'down', 'page-up', 'page-down', 'top', 'bottom']);

function listCommand(state: TuiState, cmd: Command, vp: Viewport): TuiState {
  if (MOVES.has(cmd)) return move(state, cmd, vp);
  switch (cmd) {
    case 'details':
      return state.selectedId === undefined ? state : { ...state, mode: 'detail', detailScroll: 0 };
    case 'filter':
      return { ...state, mode: 'filter', input: state.filter };
    case 'back':
      return state.filter === '' ? state : ensureSelection({ ...state, filter: '' });
    case 'history':
      return openHistory(state, 'list');
    default:
      return act(state, cmd, 'list');
  }
}

function detailCommand(state: TuiState, cmd: Command, vp: Viewport): TuiState {
  if (MOVES.has(cmd))
    return { ...state, detailScroll: scroll(state.detailScroll, cmd, Math.max(1, vp.page), vp.detailMax) };
  switch (cmd) {
    case 'back':
      return { ...state, mode: 'list' };
    case 'history':
      return openHistory(state, 'detail');
    default:
      return act(state, cmd, 'detail');
  }
}

function openHistory(state: TuiState, from: 'list' | 'detail'): TuiState {
  const next: TuiState = {
    ...state,
    mode: 'history',
    returnMode: from,
    history: { ...state.history, status: 'loading' },
  };
  return send(next, { kind: 'load-history' });
}

function historyCommand(state: TuiState, cmd: Command, vp: Viewport): TuiState {
  if (MOVES.has(cmd))
    return { ...state, historyScroll: scroll(state.historyScroll, cmd, Math.max(1, vp.page), vp.historyMax) };
  if (cmd === 'back') return { ...state, mode: state.returnMode };
  if (cmd === 'refresh')
    return send({ ...state, history: { ...state.history, status: 'loading' } }, { kind: 'load-history' });
  if (cmd === 'details') {
    const requestId = state.history.items[state.historyScroll]?.requestId;
    if (requestId === undefined) return state;
    return send(
      { ...state, mode: 'record', recordScroll: 0, record: { status: 'loading', requestId, items: [] } },
      { kind: 'load-record', requestId },
    );
  }
  return state;
}

/** An opened history record is read-only: it scrolls, and Esc goes back to the history. */
function recordCommand(state: TuiState, cmd: Command, vp: Viewport): TuiState {
  if (MOVES.has(cmd))
    return { ...state, recordScroll: scroll(state.recordScroll, cmd, Math.max(1, vp.page), vp.recordMax ?? 0) };
  if (cmd === 'back') return { ...state, mode: 'history', record: undefined, recordScroll: 0 };
  return state;
}

/**
 * The batch view: scrolls like the detail view; `a` decides every request shown that is still open
 * (passphrase first unless unlocked), `d` asks one reason for all of them; Esc goes back.
 */
function batchCommand(state: TuiState, cmd: Command, vp: Viewport): TuiState {
  if (MOVES.has(cmd))
    return { ...state, detailScroll: scroll(state.detailScroll, cmd, Math.max(1, vp.page), vp.detailMax) };
  if (cmd === 'back') {
    const from = state.batch?.from ?? 'list';
    return ensureSelection({ ...state, mode: from, returnMode: from, batch: undefined, detailScroll: 0 });
  }
  if (cmd !== 'approve' && cmd !== 'deny') return state;
  const intent = batchIntent(state, cmd);
  if ('error' in intent) return { ...state, flash: { level: 'error', text: intent.error } };
  if (cmd === 'deny') return { ...state, mode: 'deny-reason', input: '' };
  return decide(state, intent);
}

/** Extend or revoke the selected request's live grant: the menu (after a fresh read of the offer) or the confirmation. */
function grantAct(state: TuiState, cmd: 'extend' | 'revoke', from: 'list' | 'detail'): TuiState {
  const entry = state.selectedId === undefined ? undefined : state.requests[state.selectedId];
  const blocked = grantBlockedReason(state, entry);
  if (blocked !== undefined) return { ...state, flash: { level: 'error', text: `cannot ${cmd}: ${blocked}` } };
  const requestId = entry!.view.id;
  const grant = liveGrant(state, entry)!;
  if (cmd === 'revoke') return { ...state, mode: 'revoke', returnMode: from, pending: { requestId, action: 'revoke' } };
  if (grant.extendOffer === undefined)
    return { ...state, flash: { level: 'error', text: `cannot extend: ${noOfferReason(entry!.view)}` } };
  const extending = { requestId, from: { usesLeft: grant.usesLeft, expiresAt: grant.expiresAt }, choices: undefined };
  return send({ ...state, mode: 'extend', returnMode: from, extending }, { kind: 'load-grants' });
}

function act(state: TuiState, cmd: Command, from: 'list' | 'detail'): TuiState {
  if (cmd === 'extend' || cmd === 'revoke') return grantAct(state, cmd, from);
  if (cmd === 'batch') return openBatch(state, from);
  if (cmd !== 'approve' && cmd !== 'deny' && cmd !== 'ask') return state;
  const entry = state.selectedId === undefined ? undefined : state.requests[state.selectedId];
  const blocked = cmd === 'approve' ? approveBlockedReason(state, entry) : blockedReason(state, entry);
  if (blocked !== undefined) return { ...state, flash: { level: 'error', text: `cannot ${cmd}: ${blocked}` } };
  const requestId = entry!.view.id;
  if (cmd === 'deny') return { ...state, mode: 'deny-reason', returnMode: from, input: '' };
  if (cmd === 'ask') return { ...state, mode: 'ask', returnMode: from, input: '' };
  // a rule that allows scoped grants: choose the scope first (src/approval/grant-choices.ts)
  const choices = grantChoices(entry!.view);
  if (choices.length > 1)
    return { ...state, mode: 'scope', returnMode: from, pending: { requestId, action: 'approve' }, choices };
  return decide({ ...state, returnMode: from }, { requestId, action: 'approve' });
}
