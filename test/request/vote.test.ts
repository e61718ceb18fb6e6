/**
 * acceptVote and the channel identity mapping: who a channel's verified identity is, and what is
 * recorded when a ballot is refused.
 */
import { describe, expect, it } from 'vitest';
import { Refused } from '../../src/request/refusal.js';
import { acceptVote, channelApprover, refusedBallotPayload, type AcceptedVote } from '../../src/request/vote.js';
import { makeApprover } from '../approval/helpers.js';
import { alice, approvers, bob, fromChannel, NOW, request, signed } from './fixtures.js';

const id = (channel: string, identity: string) => channelApprover({ channel, id: identity }, approvers);

describe('channel identity mapping', () => {
  it('matches the Slack user id and the e-mail, ignoring case', () => {
    expect(id('slack', 'u0alice')).toMatchObject({ approver: { name: 'alice' }, byIdentity: true });
    expect(id('teams', 'ALICE@example.COM')).toMatchObject({ approver: { name: 'alice' }, byIdentity: true });
    expect(id('webhook', 'Bob@Example.com')).toMatchObject({ approver: { name: 'bob' }, byIdentity: true });
  });

  it('falls back to the approver name, except on Slack', () => {
    expect(id('webhook', 'BOB')).toMatchObject({ approver: { name: 'bob' }, byIdentity: false });
    expect(id('teams', 'carol')).toMatchObject({ approver: { name: 'carol' }, byIdentity: false });
    expect(id('slack', 'bob')).toBeUndefined();
  });

  it('an enrolled identity wins over another approver’s name', () => {
    // "mallory" is the e-mail alice enrolled with on this list, and also a different approver's name
    const a = makeApprover('alice', ['sre'], { email: 'mallory' });
    const m = makeApprover('mallory');
    expect(channelApprover({ channel: 'webhook', id: 'Mallory' }, [m.record, a.record])).toMatchObject({
      approver: { name: 'alice' },
      byIdentity: true,
    });
  });

  it('an unknown identity maps to nobody, and its ballot is refused before the request is looked up', () => {
    expect(id('webhook', 'mallory@example.com')).toBeUndefined();
    expect(id('webhook', '')).toBeUndefined();
    const out = acceptVote(undefined, fromChannel('webhook', 'mallory@example.com', 'approve'), NOW, approvers);
    expect(out).toMatchObject({ refused: Refused.UnknownApprover });
  });
});

describe('acceptVote', () => {
  it('a channel vote keeps the verified identity only when it matched an enrolled identity', () => {
    const byMail = acceptVote(
      request(),
      fromChannel('teams', 'bob@example.com', 'approve'),
      NOW,
      approvers,
    ) as AcceptedVote;
    expect(byMail.vote).toMatchObject({
      approver: 'bob',
      channel: 'teams',
      identity: 'bob@example.com',
      at: NOW.toISOString(),
    });
    const byName = acceptVote(request(), fromChannel('webhook', 'bob', 'approve'), NOW, approvers) as AcceptedVote;
    expect(byName.vote.identity).toBeUndefined();
    expect(byName.record.payload).toMatchObject({ identity: 'bob', verifiedBy: null });
  });

  it('a signed vote is checked against the approver key and records it', () => {
    const ok = acceptVote(request(), signed(alice, 'approve'), NOW, approvers) as AcceptedVote;
    expect(ok.record.payload).toMatchObject({ approver: 'alice', key: alice.record.fingerprint });
    const forged = signed(bob, 'approve');
    if (forged.via !== 'signed') throw new Error('fixture');
    const claimed = { ...forged, signed: { ...forged.signed, approver: 'alice' } };
    expect(acceptVote(request(), claimed, NOW, approvers)).toMatchObject({ refused: Refused.BadSignature });
    expect(acceptVote(request(), signed(alice, 'approve', { requestId: 'rq-2' }), NOW, approvers)).toMatchObject({
      refused: Refused.WrongRequest,
    });
  });

  it('reasons and questions are redacted before they are kept', () => {
    const secret = `ghp_${'A1b2C3d4E5'.repeat(4).slice(0, 36)}`;
    const out = acceptVote(
      request(),
      fromChannel('webhook', 'bob', 'deny', { reason: `token ${secret} leaked` }),
      NOW,
      approvers,
    ) as AcceptedVote;
    expect(out.vote.reason).toBeDefined();
    expect(out.vote.reason).not.toContain(secret);
    expect(JSON.stringify(out.record)).not.toContain(secret);
  });

  it('a refused ballot is recorded with who tried, through which channel, and the code', () => {
    const refusedChannel = acceptVote(undefined, fromChannel('slack', 'U0ALICE', 'approve'), NOW, approvers);
    if (!('refused' in refusedChannel)) throw new Error('expected a refusal');
    expect(refusedBallotPayload(fromChannel('slack', 'U0ALICE', 'approve'), refusedChannel, approvers)).toEqual({
      requestId: 'rq-1',
      approver: 'alice',
      action: 'approve',
      channel: 'slack',
      identity: 'U0ALICE',
      verifiedBy: null,
      code: 'not-found',
      reason: 'no request rq-1',
    });
    const ballot = signed(alice, 'approve');
    const payload = refusedBallotPayload(ballot, { refused: Refused.Replayed, reason: 'r' }, approvers);
    expect(payload).toMatchObject({ approver: 'alice', channel: 'cli', code: 'replayed' });
    expect(payload['signature']).toEqual(expect.any(String));
  });
});
