import { describe, expect, it } from 'vitest';
import { eligibility, evaluateQuorum, type ApproverRecord, type Vote } from '../../src/approval/index.js';
import { makeApprover, requester, settings } from './helpers.js';

const alice = makeApprover('alice', ['sre', 'dba'], { osUser: 'alice' }).record;
const bob = makeApprover('bob', ['sre'], { osUser: 'bob', email: 'Bob@example.com' }).record;
const carol = makeApprover('carol', ['sre'], { osUser: 'carol' }).record;
const dave = makeApprover('dave', ['dev'], { osUser: 'dave', slackUserId: 'U0DAVE' }).record;
const agentUser = makeApprover('agent-human', ['sre'], { osUser: 'agentuser' }).record;
const approvers = [alice, bob, carol, dave, agentUser];

let clock = 0;
const vote = (approver: string, action: Vote['action'] = 'approve', extra: Partial<Vote> = {}): Vote => ({
  approver,
  action,
  channel: 'cli',
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, clock++)).toISOString(),
  signature: 'sig',
  ...extra,
});
const q = (
  votes: Vote[],
  over: Parameters<typeof settings>[0] = {},
  recs: ApproverRecord[] = approvers,
  repliedAt?: string,
) => evaluateQuorum({ settings: settings(over), requester, votes, approvers: recs, repliedAt });

describe('quorum', () => {
  it('needs N distinct approvers', () => {
    expect(q([vote('alice')], { quorum: 2 })).toEqual({ state: 'pending', have: 1, need: 2 });
    expect(q([vote('alice'), vote('bob')], { quorum: 2 })).toEqual({ state: 'approved', approvers: ['alice', 'bob'] });
  });

  it('counts the same approver twice once', () => {
    expect(q([vote('alice'), vote('alice')], { quorum: 2 })).toEqual({ state: 'pending', have: 1, need: 2 });
  });

  it('counts the same human in two groups once', () => {
    expect(q([vote('alice')], { quorum: 2, groups: ['sre', 'dba'] })).toEqual({ state: 'pending', have: 1, need: 2 });
  });

  it('counts two records of one human (shared OS user, email or key) once', () => {
    const alice2 = { ...makeApprover('alice-laptop').record, osUser: 'alice' };
    const bob2 = { ...makeApprover('bob2').record, email: 'bob@EXAMPLE.com' };
    const recs = [...approvers, alice2, bob2];
    expect(q([vote('alice'), vote('alice-laptop')], { quorum: 2 }, recs)).toMatchObject({ state: 'pending', have: 1 });
    expect(q([vote('bob'), vote('bob2')], { quorum: 2 }, recs)).toMatchObject({ state: 'pending', have: 1 });
    expect(q([vote('bob'), vote('alice-laptop')], { quorum: 2 }, recs)).toMatchObject({ state: 'approved' });
  });

  it('needs every group condition of the merged rules (intersection, not union)', () => {
    const both = { groups: ['dba'], alsoGroups: [['sre']] };
    expect(q([vote('bob')], both)).toEqual({ state: 'pending', have: 0, need: 1 });
    expect(eligibility(bob, settings(both), requester)).toEqual({ ok: false, reason: 'bob is not in group dba' });
    expect(q([vote('alice')], both)).toMatchObject({ state: 'approved' });
  });

  it('ignores approvers outside the groups; empty groups means any', () => {
    expect(q([vote('dave')], { groups: ['sre'] })).toEqual({ state: 'pending', have: 0, need: 1 });
    expect(q([vote('dave')], { groups: [] })).toMatchObject({ state: 'approved' });
  });

  it('ignores unknown names and remote votes whose identity is not the approver’s', () => {
    expect(q([vote('zed')])).toMatchObject({ state: 'pending', have: 0 });
    expect(q([vote('dave', 'approve', { channel: 'slack', identity: 'U0EVIL' })])).toMatchObject({
      state: 'pending',
      have: 0,
    });
    expect(q([vote('dave', 'approve', { channel: 'slack', identity: 'U0DAVE' })])).toMatchObject({ state: 'approved' });
    expect(q([vote('bob', 'approve', { channel: 'teams', identity: 'bob@example.COM' })])).toMatchObject({
      state: 'approved',
    });
  });

  it('counts a channel vote mapped by identity.channel_subjects as the approver enrolled with that subject', () => {
    const erin = { ...makeApprover('erin', ['sre'], { osUser: 'erin', email: 'other@example.com' }).record };
    erin.idp = { issuer: 'https://idp.example', subject: 'sub-erin', idToken: 'unused-here' };
    const recs = [...approvers, erin];
    // the Teams e-mail is not on erin's record: the mapping named her subject, which counts
    const mapped = { channel: 'teams', identity: 'erin@example.com', subject: 'sub-erin' };
    expect(q([vote('erin', 'approve', mapped)], {}, recs)).toMatchObject({ state: 'approved' });
    expect(q([vote('erin', 'approve', { ...mapped, subject: 'sub-other' })], {}, recs)).toMatchObject({
      state: 'pending',
      have: 0,
    });
    // a record without an IdP binding is never the approver of a mapped vote
    expect(q([vote('bob', 'approve', { ...mapped, identity: 'bob@example.com' })], {}, recs)).toMatchObject({
      state: 'pending',
      have: 0,
    });
  });

  it('any deny ends it, even after quorum and from outside the groups', () => {
    expect(q([vote('alice'), vote('bob', 'deny', { reason: 'no' })], { quorum: 2 })).toEqual({
      state: 'denied',
      by: 'bob',
      reason: 'no',
    });
    expect(q([vote('alice'), vote('dave', 'deny')], { groups: ['sre'] })).toMatchObject({
      state: 'denied',
      by: 'dave',
    });
  });

  it('ask → needs_info until answered; a later approval from the asker counts', () => {
    expect(q([vote('alice', 'ask', { question: 'which env?' })])).toEqual({
      state: 'needs_info',
      by: 'alice',
      question: 'which env?',
    });
    const ask = vote('alice', 'ask', { question: 'which env?' });
    const replied = new Date(Date.parse(ask.at) + 500).toISOString();
    expect(q([ask], {}, approvers, replied)).toEqual({ state: 'pending', have: 0, need: 1 });
    expect(q([vote('bob', 'ask', { question: 'q' }), vote('bob')])).toMatchObject({ state: 'approved' });
  });

  it('four-eyes refuses the human the agent acts for and the requesting OS user', () => {
    const s = settings({ fourEyes: true });
    expect(eligibility(carol, s, requester)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('acts for') as string,
    });
    expect(eligibility(agentUser, s, requester)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('OS user agentuser') as string,
    });
    expect(eligibility(bob, s, { ...requester, onBehalfOf: 'BOB@example.com' })).toMatchObject({ ok: false });
    expect(eligibility(alice, s, requester)).toEqual({ ok: true });
    expect(eligibility(carol, settings(), requester)).toEqual({ ok: true });
    expect(q([vote('carol'), vote('agent-human')], { fourEyes: true })).toEqual({ state: 'pending', have: 0, need: 1 });
    expect(q([vote('carol'), vote('alice')], { fourEyes: true })).toEqual({ state: 'approved', approvers: ['alice'] });
    expect(eligibility(dave, settings({ groups: ['sre', 'ops'] }), requester)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('any of the groups sre, ops') as string,
    });
  });

  it('a quorum below 1 (or not an integer) still needs one approval', () => {
    for (const quorum of [0, -3, NaN, 1.5]) expect(q([], { quorum })).toEqual({ state: 'pending', have: 0, need: 1 });
  });
});
