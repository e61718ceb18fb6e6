/** The batch rules both the CLI and the TUI apply before signing (decisions 1081, 1113). */
import { describe, expect, test } from 'vitest';
import { batchExclusion, batchReason, batchStatements } from '../../src/approval/batch.js';
import { view } from '../tui/fixtures.js';

describe('batch', () => {
  const item = (over: Parameters<typeof view>[0], stepUp?: boolean) => ({
    view: view(over),
    fingerprint: `fp-${over.id}`,
    stepUp,
  });

  test('a step-up request is never approved in a batch; it can be denied', () => {
    const su = item({ id: 'rq-1', session: 'S' }, true);
    expect(batchExclusion(su, 'approve', 'S')).toMatch(/step-up.*guard approve rq-1/);
    expect(batchExclusion(su, 'deny', 'S')).toBeUndefined();
  });

  test('another session, or a request no longer open, is left out', () => {
    expect(batchExclusion(item({ id: 'rq-1', session: 'T' }), 'approve', 'S')).toBe('not in session S');
    expect(batchExclusion(item({ id: 'rq-1', session: 'S', state: 'approved' }), 'deny', 'S')).toMatch(/approved now/);
  });

  test('one statement per request, each over its own fingerprint, the reason naming the batch', () => {
    const reason = batchReason('deny', 2, 'S', 'no');
    expect(reason).toBe('no — batch deny of 2 requests in session S');
    const st = batchStatements([item({ id: 'rq-1' }), item({ id: 'rq-2' })], {
      action: 'deny',
      reason,
      at: 'T',
      approver: 'bob',
    });
    expect(st.map((s) => [s.requestId, s.fingerprint, s.reason])).toEqual([
      ['rq-1', 'fp-rq-1', reason],
      ['rq-2', 'fp-rq-2', reason],
    ]);
  });
});
