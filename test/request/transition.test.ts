/**
 * Every lifecycle rule of a request, against the pure core: no daemon, no clock, no I/O.
 */
import { describe, expect, it } from 'vitest';
import { Refused, type Refusal } from '../../src/request/refusal.js';
import type { StoredRequest } from '../../src/request/state.js';
import { transition, type Change, type RequestEvent } from '../../src/request/transition.js';
import { alice, approvers, bob, carol, EXPIRES, FP, fromChannel, NOW, request, signed, t } from './fixtures.js';

function ok(out: Change | Refusal): Change {
  if ('refused' in out) throw new Error(`refused: ${out.refused}: ${out.reason}`);
  return out;
}

function code(out: Change | Refusal): string | undefined {
  return 'refused' in out ? out.refused : undefined;
}

/** Apply events in order, each must be accepted. */
function run(r: StoredRequest, events: RequestEvent[], now = NOW): StoredRequest {
  return events.reduce((cur, e) => ok(transition(cur, e, now, approvers)).next, r);
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

describe('create', () => {
  it('takes the new request as it is, with the caller’s records', () => {
    const r = request();
    const records = [{ type: 'request' as const, payload: { requestId: 'rq-1' } }];
    const out = ok(transition(undefined, { type: 'create', request: r, records }, NOW, approvers));
    expect(out.next).toBe(r);
    expect(out.records).toEqual(records);
  });

  it('refuses an id that is taken', () => {
    const r = request();
    expect(code(transition(r, { type: 'create', request: r, records: [] }, NOW, approvers))).toBe(Refused.Exists);
  });
});

describe('expiry', () => {
  it('is not due one millisecond before the deadline and happens exactly at it', () => {
    const r = request();
    const before = new Date(Date.parse(EXPIRES) - 1);
    expect(code(transition(r, { type: 'expire' }, before, approvers))).toBe(Refused.NotDue);
    const out = ok(transition(r, { type: 'expire' }, t(EXPIRES), approvers));
    expect(out.next.state).toBe('expired');
    expect(out.next.view.state).toBe('expired');
    expect(out.next.view.decisionReason).toBe('nobody decided in time');
    expect(out.records).toEqual([{ type: 'expired', payload: { requestId: 'rq-1', expiresAt: EXPIRES } }]);
  });

  it('leaves a closed request alone', () => {
    const denied = run(request(), [{ type: 'vote', ballot: signed(alice, 'deny') }]);
    expect(code(transition(denied, { type: 'expire' }, t(EXPIRES), approvers))).toBe(Refused.NotPending);
  });

  it('a vote at the deadline is refused even before the timer has expired the request', () => {
    const late = transition(
      request(),
      { type: 'vote', ballot: signed(alice, 'approve', { at: EXPIRES }) },
      t(EXPIRES),
      approvers,
    );
    expect(code(late)).toBe(Refused.NotPending);
    const justBefore = new Date(Date.parse(EXPIRES) - 1);
    const inTime = transition(
      request(),
      { type: 'vote', ballot: signed(alice, 'approve', { at: justBefore.toISOString() }) },
      justBefore,
      approvers,
    );
    expect(ok(inTime).next.state).toBe('approved');
  });
});

describe('votes and quorum', () => {
  it('one approval meets a quorum of one: approved, with a grant and the decision on record', () => {
    const out = ok(transition(request(), { type: 'vote', ballot: signed(alice, 'approve') }, NOW, approvers));
    expect(out.next.state).toBe('approved');
    expect(out.next.view.state).toBe('approved');
    expect(out.next.updatedAt).toBe(NOW.toISOString());
    expect(out.next.view.decidedBy).toBe('alice');
    expect(out.next.grant).toMatchObject({ requestId: 'rq-1', fingerprint: FP, usesLeft: 1, revoked: false });
    expect(out.records.map((r) => r.type)).toEqual(['approval', 'decision']);
    expect(out.records[0]!.payload).toMatchObject({
      requestId: 'rq-1',
      approver: 'alice',
      action: 'approve',
      channel: 'cli',
    });
    expect(out.records[1]!.payload).toMatchObject({ source: 'quorum', state: 'approved', approvers: ['alice'] });
  });

  it('a quorum of two waits for a second human, and the same human twice is one', () => {
    const r = request({ quorum: 2 });
    const first = ok(transition(r, { type: 'vote', ballot: signed(alice, 'approve') }, NOW, approvers));
    expect(first.next.state).toBe('pending');
    expect(first.records.map((x) => x.type)).toEqual(['approval']);
    expect(first.next.view.approvals.map((a) => a.approver)).toEqual(['alice']);
    // alice again, this time through Slack: still one human
    const again = ok(
      transition(first.next, { type: 'vote', ballot: fromChannel('slack', 'U0ALICE', 'approve') }, NOW, approvers),
    );
    expect(again.next.state).toBe('pending');
    expect(again.next.view.approvals.map((a) => a.approver)).toEqual(['alice']);
    const second = ok(transition(again.next, { type: 'vote', ballot: signed(bob, 'approve') }, NOW, approvers));
    expect(second.next.state).toBe('approved');
    expect(second.next.view.decidedBy).toBe('alice, bob');
  });

  it('any deny ends the request, whatever the approvals before it', () => {
    const r = request({ quorum: 2 });
    const out = ok(
      transition(
        run(r, [{ type: 'vote', ballot: signed(alice, 'approve') }]),
        { type: 'vote', ballot: signed(bob, 'deny', { reason: 'not today' }) },
        NOW,
        approvers,
      ),
    );
    expect(out.next.state).toBe('denied');
    expect(out.next.view).toMatchObject({ decidedBy: 'bob', decisionReason: 'not today' });
    expect(out.records[1]!.payload).toMatchObject({
      source: 'quorum',
      state: 'denied',
      by: 'bob',
      reason: 'not today',
    });
  });

  it('four-eyes: the human the agent acts for may not approve, but may deny', () => {
    const r = request({ fourEyes: true });
    expect(code(transition(r, { type: 'vote', ballot: signed(carol, 'approve') }, NOW, approvers))).toBe(
      Refused.Ineligible,
    );
    expect(ok(transition(r, { type: 'vote', ballot: signed(carol, 'deny') }, NOW, approvers)).next.state).toBe(
      'denied',
    );
    // without four-eyes the same approval counts
    expect(
      ok(transition(request(), { type: 'vote', ballot: signed(carol, 'approve') }, NOW, approvers)).next.state,
    ).toBe('approved');
  });

  it('an approver outside the rule’s groups is ineligible', () => {
    const r = request({ groups: ['dba'] });
    expect(code(transition(r, { type: 'vote', ballot: signed(alice, 'approve') }, NOW, approvers))).toBe(
      Refused.Ineligible,
    );
    expect(ok(transition(r, { type: 'vote', ballot: signed(carol, 'approve') }, NOW, approvers)).next.state).toBe(
      'approved',
    );
  });

  it('a replayed signed vote is refused', () => {
    const ballot = signed(alice, 'approve');
    const r = request({ quorum: 2 });
    const once = run(r, [{ type: 'vote', ballot }]);
    expect(code(transition(once, { type: 'vote', ballot }, NOW, approvers))).toBe(Refused.Replayed);
  });

  it('a vote on a closed request is refused, through every channel', () => {
    for (const closed of [
      run(request(), [{ type: 'vote', ballot: signed(alice, 'approve') }]),
      run(request(), [{ type: 'cancel', reason: 'gone' }]),
      run(request(), [{ type: 'revoke', by: 'local user', reason: undefined }]),
    ]) {
      expect(code(transition(closed, { type: 'vote', ballot: signed(bob, 'approve') }, NOW, approvers))).toBe(
        Refused.NotPending,
      );
      expect(
        code(
          transition(
            closed,
            { type: 'vote', ballot: fromChannel('webhook', 'bob@example.com', 'deny') },
            NOW,
            approvers,
          ),
        ),
      ).toBe(Refused.NotPending);
    }
  });

  it('a vote on a request that does not exist is refused', () => {
    expect(code(transition(undefined, { type: 'vote', ballot: signed(alice, 'approve') }, NOW, approvers))).toBe(
      Refused.NotFound,
    );
    expect(code(transition(undefined, { type: 'reply', message: 'x', by: 'requester' }, NOW, approvers))).toBe(
      Refused.NotFound,
    );
  });

  it('never changes the request it is given', () => {
    const r = deepFreeze(request({ quorum: 2 }));
    const out = ok(transition(r, { type: 'vote', ballot: signed(alice, 'approve') }, NOW, approvers));
    expect(out.next).not.toBe(r);
    expect(r.votes).toEqual([]);
  });
});

describe('ask → reply', () => {
  it('a question holds the request until the requester answers, then an approval counts', () => {
    const asked = ok(
      transition(
        request(),
        { type: 'vote', ballot: signed(alice, 'ask', { question: 'which build?' }) },
        NOW,
        approvers,
      ),
    );
    expect(asked.next.state).toBe('needs_info');
    expect(asked.next.view).toMatchObject({ question: 'which build?', askedBy: 'alice' });
    const later = t('2026-03-01T12:02:00.000Z');
    const replied = ok(
      transition(asked.next, { type: 'reply', message: 'the old one', by: 'requester' }, later, approvers),
    );
    expect(replied.next.state).toBe('pending');
    expect(replied.next.repliedAt).toBe(later.toISOString());
    expect(replied.next.view.reply).toBe('the old one');
    expect(replied.records).toEqual([
      {
        type: 'decision',
        payload: { requestId: 'rq-1', source: 'requester_reply', by: 'requester', message: 'the old one' },
      },
    ]);
    const approved = ok(
      transition(
        replied.next,
        { type: 'vote', ballot: signed(alice, 'approve', { at: '2026-03-01T12:03:00.000Z' }) },
        t('2026-03-01T12:03:00.000Z'),
        approvers,
      ),
    );
    expect(approved.next.state).toBe('approved');
  });

  it('a reply with no open question is refused', () => {
    expect(code(transition(request(), { type: 'reply', message: 'hi', by: 'requester' }, NOW, approvers))).toBe(
      Refused.NoQuestion,
    );
  });
});

describe('revoke, cancel and the grant', () => {
  it('revoking an approved grant closes it, and the grant can no longer be used', () => {
    const approved = run(request({ grantUses: 3 }), [{ type: 'vote', ballot: signed(alice, 'approve') }]);
    const out = ok(
      transition(approved, { type: 'revoke', by: 'local user', reason: 'changed my mind' }, NOW, approvers),
    );
    expect(out.next.state).toBe('revoked');
    expect(out.next.grant!.revoked).toBe(true);
    expect(out.records).toEqual([
      {
        type: 'grant_revoked',
        payload: { requestId: 'rq-1', scope: 'grant', by: 'local user', reason: 'changed my mind' },
      },
    ]);
    const use = { type: 'consume', fingerprint: FP, execId: 'ex-1', forRequest: 'rq-1' } as const;
    expect(code(transition(out.next, use, NOW, approvers))).toBe(Refused.NoGrant);
    expect(code(transition(out.next, { type: 'revoke', by: 'local user', reason: undefined }, NOW, approvers))).toBe(
      Refused.NothingToRevoke,
    );
  });

  it('revoking an open request ends it; a denied one has nothing to revoke', () => {
    const out = ok(transition(request(), { type: 'revoke', by: 'local user', reason: undefined }, NOW, approvers));
    expect(out.next.state).toBe('revoked');
    expect(out.next.view.decisionReason).toBe('revoked by local user');
    expect(out.records[0]!.payload).toMatchObject({ scope: 'request' });
    const denied = run(request(), [{ type: 'vote', ballot: signed(alice, 'deny') }]);
    expect(code(transition(denied, { type: 'revoke', by: 'x', reason: undefined }, NOW, approvers))).toBe(
      Refused.NothingToRevoke,
    );
  });

  it('cancel ends an open request and leaves a closed one alone', () => {
    const out = ok(transition(request(), { type: 'cancel', reason: 'the requester went away' }, NOW, approvers));
    expect(out.next.state).toBe('cancelled');
    expect(out.records).toEqual([
      { type: 'cancelled', payload: { requestId: 'rq-1', reason: 'the requester went away' } },
    ]);
    expect(code(transition(out.next, { type: 'cancel', reason: 'again' }, NOW, approvers))).toBe(Refused.NotPending);
  });

  it('consume takes one use and records exec_start; a used, foreign or expired grant is refused', () => {
    const approved = run(request({ grantUses: 2, grantTtlSeconds: 60 }), [
      { type: 'vote', ballot: signed(alice, 'approve') },
    ]);
    const use = (fingerprint: string, now = NOW) =>
      transition(
        approved,
        { type: 'consume', fingerprint, execId: 'ex-1', forRequest: 'rq-9', programSha256: 'b'.repeat(64) },
        now,
        approvers,
      );
    const once = ok(use(FP));
    expect(once.next.grant!.usesLeft).toBe(1);
    expect(once.records).toEqual([
      {
        type: 'exec_start',
        payload: {
          requestId: 'rq-9',
          execId: 'ex-1',
          grant: 'rq-1',
          fingerprint: FP,
          programSha256: 'b'.repeat(64),
          usesLeft: 1,
        },
      },
    ]);
    const twice = ok(
      transition(once.next, { type: 'consume', fingerprint: FP, execId: 'ex-2', forRequest: 'rq-1' }, NOW, approvers),
    );
    expect(twice.next.grant!.usesLeft).toBe(0);
    expect(
      code(
        transition(
          twice.next,
          { type: 'consume', fingerprint: FP, execId: 'ex-3', forRequest: 'rq-1' },
          NOW,
          approvers,
        ),
      ),
    ).toBe(Refused.GrantUnusable);
    expect(code(use('c'.repeat(64)))).toBe(Refused.GrantUnusable);
    // the grant lives 60 s from the approval: usable 1 ms before, not at the boundary
    const end = Date.parse(approved.grant!.expiresAt);
    expect(ok(use(FP, new Date(end - 1))).next.grant!.usesLeft).toBe(1);
    expect(use(FP, new Date(end))).toMatchObject({
      refused: Refused.GrantUnusable,
      reason: expect.stringContaining('expired') as unknown,
    });
    expect(
      code(
        transition(request(), { type: 'consume', fingerprint: FP, execId: 'e', forRequest: 'rq-1' }, NOW, approvers),
      ),
    ).toBe(Refused.NoGrant);
  });
});
