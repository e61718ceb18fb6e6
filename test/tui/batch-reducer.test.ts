/**
 * The batch view's state (decision 1113): which requests it shows (fixed when it opens), what one
 * `a` or `d` decides, when the passphrase is asked, and what a result looks like. Pure reducer.
 */
import { describe, expect, test } from 'vitest';
import { batchLines } from '../../src/tui/batch.js';
import { footerHints, type Command } from '../../src/tui/keys.js';
import type { BatchIntent, TuiState } from '../../src/tui/model.js';
import { reduce, type Action } from '../../src/tui/reducer.js';
import { ID, liveWith, NOW, run, view } from './fixtures.js';

const VP = { page: 5, detailMax: 30, historyMax: 10 };
const cmd = (command: Command): Action => ({ type: 'command', command, viewport: VP });
const typed = (text: string): Action => ({ type: 'text', text });
const at = (minutesAgo: number) => new Date(NOW - minutesAgo * 60_000).toISOString();

/** Three medium requests of session S-1 (a oldest), one of S-2 (b, selected first: critical). */
function sessions(over: Partial<TuiState> = {}): TuiState {
  return liveWith(
    [
      view({ id: ID.a, risk: 'medium', session: 'S-1', createdAt: at(3) }),
      view({ id: ID.b, risk: 'critical', session: 'S-2', createdAt: at(4) }),
      view({ id: ID.c, risk: 'medium', session: 'S-1', createdAt: at(2) }),
      view({ id: ID.d, risk: 'medium', session: 'S-1', createdAt: at(1) }),
    ],
    over,
  );
}

/** The batch view of S-1, opened on request c. */
function opened(over: Partial<TuiState> = {}): TuiState {
  const s = { ...sessions(over), selectedId: ID.c };
  return run(s, cmd('batch'));
}

const sent = (s: TuiState) => s.outbox.at(-1);

describe('batch view', () => {
  test('B shows every open request of the selected request’s session, oldest first, and no other session', () => {
    const s = opened();
    expect(s.mode).toBe('batch');
    expect(s.batch).toEqual({ session: 'S-1', ids: [ID.a, ID.c, ID.d], from: 'list' });
    const text = batchLines(s, 100)
      .map((l) => l.map((x) => x.text).join(''))
      .join('\n');
    expect(text).toContain('Session S-1: 3 requests shown, 3 still open.');
    expect(text).not.toContain(ID.b);
    // each request in full, as the detail view shows it
    expect(text.match(/Deleting a Kubernetes namespace/g)).toHaveLength(3);
    expect(footerHints('batch', true).map((h) => h.label)).toEqual(['move', 'approve all', 'deny all', 'back', 'quit']);
  });

  test('a request without an agent session opens no batch', () => {
    const s = run(liveWith([view({ id: ID.a })]), cmd('batch'));
    expect(s.mode).toBe('list');
    expect(s.flash?.text).toBe(`cannot review a batch: ${ID.a} names no agent session`);
  });

  test('a request that arrives after the view opened is named, never decided', () => {
    let s = run(opened(), { type: 'update', view: view({ id: 'rq-0000000000ff', risk: 'medium', session: 'S-1' }) });
    expect(s.batch?.ids).toEqual([ID.a, ID.c, ID.d]);
    const text = batchLines(s, 200)
      .map((l) => l.map((x) => x.text).join(''))
      .join('\n');
    expect(text).toContain(
      '1 more request of this session arrived after this view opened (rq-0000000000ff): not included',
    );
    s = run(s, cmd('approve'));
    expect((s.pending as BatchIntent).ids).toEqual([ID.a, ID.c, ID.d]);
  });

  test('locked key: a asks the passphrase once, then one batch effect names exactly the requests shown', () => {
    let s = run(opened(), cmd('approve'));
    expect(s.mode).toBe('passphrase');
    expect(s.pending).toEqual({
      requestId: ID.a,
      action: 'batch',
      decision: 'approve',
      session: 'S-1',
      ids: [ID.a, ID.c, ID.d],
      reason: undefined,
    });
    s = run(s, typed('***'), cmd('submit'));
    expect(s.mode).toBe('batch');
    expect(sent(s)).toMatchObject({ kind: 'unlock-and-decide', intent: { action: 'batch', ids: [ID.a, ID.c, ID.d] } });
    expect(s.outbox).toHaveLength(1);
  });

  test('unlocked: medium requests are sent at once; one high request in the batch asks the passphrase again', () => {
    let s = run(opened({ unlockedUntil: NOW + 60_000 }), cmd('approve'));
    expect(sent(s)).toMatchObject({ kind: 'decide', intent: { action: 'batch', decision: 'approve' } });
    s = run(
      { ...sessions({ unlockedUntil: NOW + 60_000 }), selectedId: ID.a },
      { type: 'update', view: view({ id: ID.c, risk: 'high', session: 'S-1', createdAt: at(2) }) },
      cmd('batch'),
      cmd('approve'),
    );
    expect(s.mode).toBe('passphrase');
  });

  test('a request decided meanwhile, or already approved by this approver, is left out of approve-all', () => {
    const s = run(
      opened(),
      { type: 'update', view: view({ id: ID.a, risk: 'medium', session: 'S-1', state: 'denied', createdAt: at(3) }) },
      {
        type: 'update',
        view: view({
          id: ID.c,
          risk: 'medium',
          session: 'S-1',
          quorum: 2,
          approvals: [{ approver: 'bob', channel: 'tui', at: at(0) }],
          createdAt: at(2),
        }),
      },
      cmd('approve'),
    );
    expect((s.pending as BatchIntent).ids).toEqual([ID.d]);
  });

  test('deny all asks one reason and sends it with every request shown', () => {
    let s = run(opened({ unlockedUntil: NOW + 60_000 }), cmd('deny'));
    expect(s.mode).toBe('deny-reason');
    s = run(s, cmd('submit'));
    expect(s.flash?.text).toBe('a reason is required to deny (Esc cancels)');
    // the request B was pressed on is decided elsewhere while typing: the batch prompt stays
    s = run(s, { type: 'update', view: view({ id: ID.c, risk: 'medium', session: 'S-1', state: 'approved' }) });
    expect(s.mode).toBe('deny-reason');
    s = run(s, typed('not in this sprint'), cmd('submit'));
    expect(s.mode).toBe('batch');
    expect(sent(s)).toMatchObject({
      kind: 'decide',
      intent: { action: 'batch', decision: 'deny', ids: [ID.a, ID.d], reason: 'not in this sprint' },
    });
  });

  test('results are shown per request; Esc goes back to where B was pressed', () => {
    let s = run(opened(), cmd('approve'), typed('*'), cmd('submit'));
    const intent = s.busy as BatchIntent;
    s = run(s, {
      type: 'batch-decided',
      intent,
      message: 'approved 2 of 3',
      results: { [ID.a]: 'approved as bob (signed): now approved', [ID.c]: 'the daemon refused it: no' },
    });
    expect(s.busy).toBeUndefined();
    const text = batchLines(s, 200)
      .map((l) => l.map((x) => x.text).join(''))
      .join('\n');
    expect(text).toContain('→ the daemon refused it: no');
    expect(text).toContain('→ approved as bob (signed): now approved');
    s = run(s, cmd('back'));
    expect(s.mode).toBe('list');
    expect(s.batch).toBeUndefined();
  });

  test('losing the daemon ends a batch prompt without sending', () => {
    const s = run(opened(), cmd('approve'), {
      type: 'connection',
      connection: { status: 'down', message: 'gone', retryAt: NOW + 1000, attempt: 1 },
    });
    expect(s.mode).toBe('batch');
    expect(s.pending).toBeUndefined();
    expect(s.outbox).toEqual([]);
    expect(reduce(s, cmd('approve')).flash?.text).toMatch(/cannot approve the batch/);
  });
});
