/**
 * acceptVote and the channel identity mapping: who a channel's verified identity is, and what is
 * recorded when a ballot is refused.
 */
import { describe, expect, it } from 'vitest';
import { Refused, type Refusal } from '../../src/request/refusal.js';
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

describe('channel identities mapped to IdP subjects (identity.channel_subjects)', () => {
  const ISS = 'https://idp.example.com';
  const idp = (subject: string, issuer = ISS) => ({ idp: { issuer, subject, idToken: 'x.y.z' } });
  // dave enrolled through the IdP; erin and frank share a subject (a copied record); gus under another issuer
  const dave = makeApprover('dave', ['sre'], idp('sub-dave'));
  const erin = makeApprover('erin', ['sre'], idp('sub-shared'));
  const frank = makeApprover('frank', ['sre'], idp('sub-shared'));
  const gus = makeApprover('gus', ['sre'], idp('sub-gus', 'https://other.example.com'));
  const list = [...approvers, dave.record, erin.record, frank.record, gus.record];
  const subjects = {
    issuer: ISS,
    slack: {
      U0DAVE: 'sub-dave',
      U0NOBODY: 'sub-nobody',
      U0SHARED: 'sub-shared',
      U0GUS: 'sub-gus',
      U0TWO: 'sub-dave',
      u0two: 'sub-x',
    },
    teams: { 'Dave@Example.com': 'sub-dave' },
  };
  /** The refusal code and a fragment of its reason. */
  const refusedWith = (out: AcceptedVote | Refusal, fragment: string) => {
    if (!('refused' in out)) throw new Error('expected a refusal');
    expect(out.refused).toBe(Refused.UnmappedIdentity);
    expect(out.reason).toContain(fragment);
  };
  const ballot = (channel: string, who: string, action: 'approve' | 'deny' = 'approve') => ({
    ...fromChannel(channel, who, action),
    subjects,
  });

  it('a mapped Slack id or Teams e-mail is the approver enrolled with that subject, and the record names it', () => {
    expect(channelApprover({ channel: 'slack', id: 'U0DAVE' }, list, subjects)).toMatchObject({
      approver: { name: 'dave' },
      byIdentity: true,
      subject: 'sub-dave',
    });
    const out = acceptVote(request(), ballot('teams', 'dave@example.com'), NOW, list) as AcceptedVote;
    expect(out.vote).toMatchObject({ approver: 'dave', channel: 'teams', identity: 'dave@example.com' });
    expect(out.record.payload).toMatchObject({ approver: 'dave', identity: 'dave@example.com', subject: 'sub-dave' });
  });

  it('an unmapped identity is refused even when an approver record names that Slack id or e-mail', () => {
    expect(channelApprover({ channel: 'slack', id: 'U0ALICE' }, list, subjects)).toBeUndefined();
    for (const [channel, who] of [
      ['slack', 'U0ALICE'],
      ['teams', 'bob@example.com'],
      ['teams', 'carol'],
    ] as const) {
      const out = acceptVote(request(), ballot(channel, who), NOW, list);
      refusedWith(out, 'not mapped');
    }
  });

  it('a subject no approver is enrolled with (or only under another issuer) is refused', () => {
    for (const who of ['U0NOBODY', 'U0GUS']) {
      const out = acceptVote(request(), ballot('slack', who), NOW, list);
      refusedWith(out, 'no approver');
    }
  });

  it('a subject two approvers are enrolled with, or an id mapped to two subjects, is refused as ambiguous', () => {
    const shared = acceptVote(request(), ballot('slack', 'U0SHARED', 'deny'), NOW, list);
    refusedWith(shared, 'ambiguous');
    const two = acceptVote(request(), ballot('slack', 'U0TWO'), NOW, list);
    refusedWith(two, 'more than one');
    if (!('refused' in two)) throw new Error('expected a refusal');
    expect(refusedBallotPayload(ballot('slack', 'U0TWO'), two, list)).toMatchObject({
      approver: null,
      identity: 'U0TWO',
      code: 'unmapped-identity',
    });
  });

  it('the refusal of an unmapped click names no approver, though the record lists that Slack id', () => {
    const out = acceptVote(request(), ballot('slack', 'U0ALICE'), NOW, list);
    if (!('refused' in out)) throw new Error('expected a refusal');
    expect(refusedBallotPayload(ballot('slack', 'U0ALICE'), out, list)).toMatchObject({ approver: null });
  });

  it('webhook and web identities are matched as without the mapping; no mapping keeps today’s matching', () => {
    expect(acceptVote(request(), ballot('webhook', 'bob@example.com'), NOW, list)).toMatchObject({
      vote: { approver: 'bob' },
    });
    expect(acceptVote(request(), fromChannel('slack', 'U0ALICE', 'approve'), NOW, list)).toMatchObject({
      vote: { approver: 'alice' },
    });
    expect(channelApprover({ channel: 'slack', id: 'U0DAVE' }, list)).toBeUndefined();
  });
});

describe("votes from the hub's web page (channel hub-web, decision 1068)", () => {
  const ISS = 'https://idp.example.com';
  const idp = (subject: string, issuer = ISS) => ({ idp: { issuer, subject, idToken: 'x.y.z' } });
  const dave = makeApprover('dave', ['sre'], idp('sub-dave'));
  const erin = makeApprover('erin', ['sre'], idp('sub-shared'));
  const frank = makeApprover('frank', ['sre'], idp('sub-shared'));
  const list = [...approvers, dave.record, erin.record, frank.record];
  const hubWeb = (id: string, verifiedBy = `hub+idp:${ISS}`) =>
    ({
      via: 'channel',
      decision: { requestId: 'rq-1', action: 'approve', identity: { channel: 'hub-web', id, verifiedBy } },
    }) as const;
  const refusedWith = (out: AcceptedVote | Refusal, fragment: string) => {
    if (!('refused' in out)) throw new Error('expected a refusal');
    expect(out.refused).toBe(Refused.UnmappedIdentity);
    expect(out.reason).toContain(fragment);
  };

  it('is the approver enrolled with that subject under that issuer, and counts by subject', () => {
    const out = acceptVote(request(), hubWeb('sub-dave'), NOW, list) as AcceptedVote;
    expect(out.vote).toMatchObject({ approver: 'dave', channel: 'hub-web', identity: 'sub-dave', subject: 'sub-dave' });
    expect(out.record.payload).toMatchObject({
      approver: 'dave',
      identity: 'sub-dave',
      subject: 'sub-dave',
      verifiedBy: `hub+idp:${ISS}`,
    });
  });

  it('refuses an unmapped subject, another issuer, an identity not vouched for by the hub, and an ambiguous subject', () => {
    refusedWith(acceptVote(request(), hubWeb('sub-nobody'), NOW, list), 'not the subject of an approver');
    refusedWith(
      acceptVote(request(), hubWeb('sub-dave', 'hub+idp:https://other.example.com'), NOW, list),
      'not the subject',
    );
    // the daemon's own page says idp:<issuer>; a hub vote must say the hub vouched for it
    refusedWith(acceptVote(request(), hubWeb('sub-dave', `idp:${ISS}`), NOW, list), 'not the subject');
    const unvouched = hubWeb('sub-dave');
    const bare = {
      ...unvouched,
      decision: { ...unvouched.decision, identity: { channel: 'hub-web', id: 'sub-dave' } },
    };
    refusedWith(acceptVote(request(), bare, NOW, list), 'not the subject');
    refusedWith(acceptVote(request(), hubWeb('sub-shared'), NOW, list), 'ambiguous');
    // a name or e-mail is never a subject
    refusedWith(acceptVote(request(), hubWeb('dave'), NOW, list), 'not the subject');
    refusedWith(acceptVote(request(), hubWeb('bob@example.com'), NOW, list), 'not the subject');
  });
});
