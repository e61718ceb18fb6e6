import { describe, expect, it } from 'vitest';
import { parseClientMessage } from '../../src/daemon/schemas.js';

const exec = { id: 1, type: 'exec', argv: ['ls'], cwd: '/tmp', context: { requester: { user: 'u' } }, noWait: false };

describe('protocol schemas', () => {
  it('accepts every well-formed message type', () => {
    const good = [
      { id: 1, type: 'ping' },
      exec,
      { id: 2, type: 'exec_end', execId: 'ex-1', exitCode: 0, signal: null, durationMs: 3 },
      { id: 3, type: 'list', all: true },
      { id: 4, type: 'show', requestId: 'rq-0123456789ab' },
      { id: 5, type: 'wait', requestId: 'rq-0123456789ab', timeoutSeconds: 5 },
      { id: 6, type: 'revoke', requestId: 'rq-0123456789ab' },
      { id: 7, type: 'reply', requestId: 'rq-0123456789ab', message: 'yes' },
      { id: 8, type: 'history', limit: 10 },
      { id: 9, type: 'subscribe' },
      { id: 10, type: 'status' },
      { id: 11, type: 'shutdown' },
      { id: 12, type: 'report_refusal', requestId: 'rq-0123456789ab', approver: 'a', reason: 'r' },
      {
        id: 13,
        type: 'decide',
        signed: {
          v: 1,
          requestId: 'rq-0123456789ab',
          fingerprint: 'a'.repeat(64),
          action: 'approve',
          at: '2026-01-01T00:00:00Z',
          approver: 'alice',
          signature: 'c2ln',
        },
      },
    ];
    for (const m of good) expect(parseClientMessage(m), JSON.stringify(m)).toMatchObject({ ok: true });
  });

  it('refuses unknown types, missing ids, extra fields and bad values, keeping the id when it can', () => {
    expect(parseClientMessage([])).toMatchObject({ ok: false, id: undefined });
    expect(parseClientMessage({ type: 'ping' })).toMatchObject({ ok: false, id: undefined });
    expect(parseClientMessage({ id: -1, type: 'ping' })).toMatchObject({ ok: false });
    expect(parseClientMessage({ id: 4, type: 'launch_missiles' })).toMatchObject({ ok: false, id: 4 });
    expect(parseClientMessage({ id: 5, type: 'ping', extra: 1 })).toMatchObject({ ok: false, id: 5 });
    expect(parseClientMessage({ ...exec, argv: [] })).toMatchObject({ ok: false, id: 1 });
    expect(parseClientMessage({ ...exec, noWait: 'yes' })).toMatchObject({ ok: false });
    expect(parseClientMessage({ id: 6, type: 'show', requestId: '../../etc/passwd' })).toMatchObject({
      ok: false,
      id: 6,
    });
    expect(parseClientMessage({ id: 7, type: '__proto__' })).toMatchObject({ ok: false, id: 7 });
    expect(parseClientMessage({ id: 8, type: 'toString' })).toMatchObject({ ok: false, id: 8 });
  });
});
