/**
 * The batch view (decision 1113): every open request of one agent session this approver may see,
 * each in full as the detail view shows it, decided together with one `a` or one `d` (one reason)
 * and one passphrase. The requests shown are fixed when the view opens: a request of the session
 * that arrives later is named but never part of the decision (reopen the view to include it).
 * Pure: the reducer calls these; the backend signs one decision per request.
 */
import { detailLines } from './detail.js';
import { wrapSegments, type Line } from './format.js';
import type { BatchIntent, BatchView, Entry, TuiState } from './model.js';
import { approveBlockedReason, blockedReason } from './select.js';

/** The open, live requests of `session`, oldest first. */
function sessionEntries(state: TuiState, session: string): Entry[] {
  return Object.values(state.requests)
    .filter((e) => e.view.session === session && blockedReason({ ...state, busy: undefined }, e) === undefined)
    .sort((a, b) => (Date.parse(a.view.createdAt) || 0) - (Date.parse(b.view.createdAt) || 0) || a.seen - b.seen);
}

/** Open the batch view of the selected request's agent session, or say why not. */
export function openBatch(state: TuiState, from: 'list' | 'detail'): TuiState {
  const entry = state.selectedId === undefined ? undefined : state.requests[state.selectedId];
  const blocked = blockedReason(state, entry);
  if (blocked !== undefined) return { ...state, flash: { level: 'error', text: `cannot review a batch: ${blocked}` } };
  const session = entry!.view.session;
  if (session === undefined || session === '')
    return {
      ...state,
      flash: { level: 'error', text: `cannot review a batch: ${entry!.view.id} names no agent session` },
    };
  const batch: BatchView = { session, ids: sessionEntries(state, session).map((e) => e.view.id), from };
  return { ...state, mode: 'batch', batch, detailScroll: 0, returnMode: 'batch' };
}

/** Requests of the batch's session that arrived after the view opened: shown as a count, never decided. */
export function arrivedSince(state: TuiState, batch: BatchView): string[] {
  return sessionEntries(state, batch.session)
    .map((e) => e.view.id)
    .filter((id) => !batch.ids.includes(id));
}

/**
 * The decision over the requests shown that can still be decided by this approver (a request
 * decided meanwhile, or already approved by them, is left out), or why there is none.
 */
export function batchIntent(
  state: TuiState,
  decision: 'approve' | 'deny',
  reason?: string,
): BatchIntent | { error: string } {
  const batch = state.batch;
  if (batch === undefined) return { error: 'no batch is open' };
  const check = decision === 'approve' ? approveBlockedReason : blockedReason;
  const ids = batch.ids.filter((id) => check(state, state.requests[id]) === undefined);
  if (ids.length === 0) {
    const why = state.busy !== undefined ? `sending your ${state.busy.action} decision…` : 'nothing left to decide';
    return { error: `cannot ${decision} the batch: ${why}` };
  }
  return { requestId: ids[0]!, action: 'batch', decision, session: batch.session, ids, reason };
}

/** The batch view's lines: a heading with the count, then each request in full with its result. */
export function batchLines(state: TuiState, width: number): Line[] {
  const batch = state.batch;
  if (batch === undefined) return [];
  const open = batch.ids.filter((id) => blockedReason({ ...state, busy: undefined }, state.requests[id]) === undefined);
  const out: Line[] = [
    ...wrapSegments(
      [
        { text: `Session ${batch.session}: `, style: 'label' },
        { text: `${batch.ids.length} request${batch.ids.length === 1 ? '' : 's'} shown`, style: 'bold' },
        { text: `, ${open.length} still open. ` },
        {
          text: 'a approves all, d denies all (one reason); each is signed alone over its own fingerprint.',
          style: 'dim',
        },
      ],
      width,
      '  ',
    ),
  ];
  const late = arrivedSince(state, batch);
  if (late.length > 0)
    out.push(
      ...wrapSegments(
        [
          {
            text: `■ ${late.length} more request${late.length === 1 ? '' : 's'} of this session arrived after this view opened (${late.join(', ')}): not included. Esc, then B, to review ${late.length === 1 ? 'it' : 'them'} too.`,
            style: 'warn',
          },
        ],
        width,
        '  ',
      ),
    );
  batch.ids.forEach((id, i) => {
    const e = state.requests[id];
    out.push([
      {
        text: `── ${i + 1} of ${batch.ids.length} ${'─'.repeat(Math.max(0, width - 12))}`.slice(0, width),
        style: 'dim',
      },
    ]);
    const result = batch.results?.[id];
    if (result !== undefined) out.push(...wrapSegments([{ text: `→ ${result}`, style: 'bold' }], width, '  '));
    if (e === undefined) {
      out.push([{ text: `${id}: no longer known`, style: 'dim' }]);
      return;
    }
    out.push(
      ...detailLines(e.view, {
        width,
        now: state.now,
        banner: blockedReason({ ...state, busy: undefined }, e),
      }),
    );
  });
  return out;
}
