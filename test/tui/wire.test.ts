import { describe, expect, test } from 'vitest';
import {
  historyItem,
  parseChain,
  parseHistory,
  parseSubscribeEvent,
  parseView,
  requestCommand,
} from '../../src/tui/wire.js';
import { ID, view } from './fixtures.js';

describe('daemon events are validated before they reach the screen', () => {
  test('a well-formed view passes unchanged', () => {
    const v = view({ id: ID.a });
    expect(parseView(v)).toEqual(v);
  });

  test.each([
    ['a bad id', { id: 'rq-../../etc' }],
    ['an unknown state', { state: 'approved-ish' }],
    ['a missing command', { command: undefined }],
    ['a non-numeric quorum', { quorum: '1' }],
    ['approvals that are not a list', { approvals: 'bob' }],
  ])('%s is rejected', (_what, over) => {
    expect(parseView({ ...view({ id: ID.a }), ...over })).toBeUndefined();
  });

  test('a snapshot keeps the good views and counts the dropped ones', () => {
    const ev = parseSubscribeEvent({ event: 'snapshot', requests: [view({ id: ID.a }), { id: 'x' }] });
    expect(ev).toMatchObject({ kind: 'snapshot', dropped: 1 });
    expect(ev.kind === 'snapshot' && ev.views.map((v) => v.id)).toEqual([ID.a]);
  });

  test('a malformed update or unknown event is reported, not applied', () => {
    expect(parseSubscribeEvent({ event: 'update', view: { id: ID.a } }).kind).toBe('invalid');
    expect(parseSubscribeEvent({ event: 'explode' }).kind).toBe('invalid');
    expect(parseSubscribeEvent(null).kind).toBe('invalid');
  });
});

describe('history', () => {
  test('decision-type records become lines; others are skipped; newest first', () => {
    const parsed = parseHistory({
      records: [
        { seq: 1, ts: 't1', type: 'ledger_open', payload: {} },
        {
          seq: 2,
          ts: 't2',
          type: 'decision',
          payload: { requestId: ID.a, source: 'policy', effect: 'approve', rules: ['r1'] },
        },
        {
          seq: 3,
          ts: 't3',
          type: 'approval',
          payload: { requestId: ID.a, approver: 'bob', action: 'deny', channel: 'cli', reason: 'no' },
        },
        {
          seq: 4,
          ts: 't4',
          type: 'approval_refused',
          payload: { requestId: ID.a, approver: 'eve', code: 'bad-signature', reason: 'not eve' },
        },
        { seq: 5, ts: 't5', type: 'exec_start', payload: { requestId: ID.b, execId: 'x1' } },
        { seq: 6, ts: 't6', type: 'exec_end', payload: { requestId: ID.b, execId: 'x1', exitCode: 3, signal: null } },
        { seq: 7, ts: 't7', type: 'request_escalated', payload: { requestId: ID.a, to: 'oncall', afterSeconds: 600 } },
        { seq: 8, ts: 't8', type: 'request_reminder', payload: { requestId: ID.a, reason: 'nobody has decided yet' } },
      ],
    });
    expect(parsed?.lastSeq).toBe(8);
    expect(parsed?.count).toBe(8);
    expect(parsed?.items.map((i) => [i.seq, i.type, i.who, i.summary])).toEqual([
      [8, 'request_reminder', undefined, '— nobody has decided yet'],
      [7, 'request_escalated', undefined, 'escalated to oncall'],
      [6, 'exec_end', undefined, 'command exited 3'],
      [5, 'exec_start', undefined, 'command started'],
      [4, 'approval_refused', 'eve', '[bad-signature] — not eve'],
      // a denial is labelled as one
      [3, 'denial', 'bob', 'deny via cli — no'],
      [2, 'decision', 'policy', 'rules r1: approve'],
    ]);
  });

  test('a request chain keeps every record of that request, the request record with its command', () => {
    const records = [
      {
        seq: 1,
        ts: 't1',
        type: 'request',
        payload: { requestId: ID.a, command: 'rm -rf /srv', cwd: '/srv', requester: { user: 'ci', agent: 'codex' } },
      },
      { seq: 2, ts: 't2', type: 'decision', payload: { requestId: ID.a, source: 'policy', effect: 'approve' } },
      // a record of another request (a hostile or confused reply) is not part of this chain
      { seq: 3, ts: 't3', type: 'exec_end', payload: { requestId: ID.b, exitCode: 0 } },
      { seq: 4, ts: 't4', type: 'exec_end', payload: { requestId: ID.a, exitCode: 0 } },
    ];
    const chain = parseChain({ records }, ID.a);
    expect(chain?.map((i) => [i.seq, i.type, i.summary, i.command])).toEqual([
      [1, 'request', 'by ci · codex in /srv', 'rm -rf /srv'],
      [2, 'decision', 'approve', undefined],
      [4, 'exec_end', 'command exited 0', undefined],
    ]);
    expect(parseChain({ rows: [] }, ID.a)).toBeUndefined();
  });

  test('a request command is taken only from a well-formed request record', () => {
    const rec = (payload: unknown, type = 'request') => ({ seq: 1, ts: 't', type, payload });
    expect(requestCommand(rec({ requestId: ID.a, command: 'ls' }))).toEqual({ requestId: ID.a, command: 'ls' });
    expect(requestCommand(rec({ requestId: ID.a, command: 'ls' }, 'decision'))).toBeUndefined();
    expect(requestCommand(rec({ requestId: 'rq-../../x', command: 'ls' }))).toBeUndefined();
    expect(requestCommand(rec({ requestId: ID.a, command: ['ls'] }))).toBeUndefined();
    expect(requestCommand(rec({ requestId: ID.a, command: 'x'.repeat(256 * 1024 + 1) }))).toBeUndefined();
  });

  test('malformed history is refused as a whole; malformed records are skipped', () => {
    expect(parseHistory({ rows: [] })).toBeUndefined();
    expect(historyItem({ seq: 'x', type: 'approval' })).toBeUndefined();
  });
});
