/**
 * Approver removal, update and key rotation on a real registry directory (decision 0426): every
 * rule that keeps these from widening anyone's power is exercised, and every hand edit is refused.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  changeApprover,
  keyHistory,
  loadApproverRegistry,
  loadApprovers,
  registerApprover,
  removeApprover,
  signEndorsement,
  signRotate,
  signUpdate,
  verifyDecision,
  type ApproverRecord,
} from '../../src/approval/index.js';
import { FailClosedError, UsageError } from '../../src/errors.js';
import { makeApprover, tempDirs } from './helpers.js';

type Key = ReturnType<typeof makeApprover>['key'];

/** alice (bootstrap) endorses bob, bob endorses carol. */
function registry(dir: string): Record<'alice' | 'bob' | 'carol', { key: Key; rec: ApproverRecord }> {
  const out = {} as Record<'alice' | 'bob' | 'carol', { key: Key; rec: ApproverRecord }>;
  let endorser: { name: string; key: Key } | undefined;
  for (const name of ['alice', 'bob', 'carol'] as const) {
    const a = makeApprover(name, ['sre'], { osUser: name });
    const cand = { name, groups: ['sre'], publicKey: a.record.publicKey, osUser: name };
    const e = endorser === undefined ? undefined : signEndorsement(endorser.key, endorser.name, cand);
    out[name] = { key: a.key, rec: registerApprover(dir, cand, e) };
    endorser = { name, key: a.key };
  }
  return out;
}

const decisionBy = (key: Key, approver: string) =>
  key.sign({
    v: 1,
    requestId: 'r1',
    fingerprint: 'a'.repeat(64),
    action: 'approve',
    at: new Date().toISOString(),
    approver,
  });

describe('approver removal', () => {
  const tmp = tempDirs();

  it('keeps the record for the chain but takes it out of every decision', () => {
    const dir = tmp();
    registry(dir);
    const removed = removeApprover(dir, 'bob', 'left the team');
    expect(removed.removed?.reason).toBe('left the team');
    // carol was endorsed by bob: the chain still loads, and carol still counts
    expect(loadApprovers(dir).map((a) => a.name)).toEqual(['alice', 'carol']);
    expect(loadApproverRegistry(dir).map((a) => a.name)).toEqual(['alice', 'bob', 'carol']);
  });

  it('a removed approver can no longer endorse, and its name and key are never reused', () => {
    const dir = tmp();
    const r = registry(dir);
    removeApprover(dir, 'bob', 'left');
    const dave = makeApprover('dave');
    const cand = { name: 'dave', groups: ['sre'], publicKey: dave.record.publicKey };
    expect(() => registerApprover(dir, cand, signEndorsement(r.bob.key, 'bob', cand))).toThrow(/not an enrolled/);
    const again = { name: 'bob', groups: ['sre'], publicKey: dave.record.publicKey };
    expect(() => registerApprover(dir, again, signEndorsement(r.alice.key, 'alice', again))).toThrow(/not reused/);
    const sameKey = { name: 'bob2', groups: ['sre'], publicKey: r.bob.rec.publicKey };
    expect(() => registerApprover(dir, sameKey, signEndorsement(r.alice.key, 'alice', sameKey))).toThrow(
      /already enrolled/,
    );
  });

  it('refuses to remove the last approver (nobody could endorse again) and a second removal', () => {
    const dir = tmp();
    registry(dir);
    removeApprover(dir, 'alice', 'x');
    removeApprover(dir, 'bob', 'x');
    expect(() => removeApprover(dir, 'carol', 'x')).toThrow(/last approver/);
    expect(() => removeApprover(dir, 'bob', 'x')).toThrow(/already removed/);
    expect(() => removeApprover(dir, 'nobody', 'x')).toThrow(/no approver named/);
  });

  it('un-removing by hand is refused? no: deleting the mark widens nothing the chain did not allow', () => {
    // the mark only narrows; what must hold is that a registry whose every approver is removed
    // is not "empty": no second bootstrap enrolment without an endorsement
    const dir = tmp();
    registry(dir);
    removeApprover(dir, 'alice', 'x');
    removeApprover(dir, 'bob', 'x');
    const file = join(dir, 'carol.json');
    const carol = JSON.parse(readFileSync(file, 'utf8')) as ApproverRecord;
    writeFileSync(file, JSON.stringify({ ...carol, removed: { at: new Date().toISOString(), reason: 'x' } }));
    expect(loadApprovers(dir)).toEqual([]);
    const eve = makeApprover('eve');
    expect(() => registerApprover(dir, { name: 'eve', groups: ['sre'], publicKey: eve.record.publicKey })).toThrow(
      /needs an endorsement/,
    );
  });
});

describe('approver update', () => {
  const tmp = tempDirs();

  it('another approver signs it; the record shows the result and keeps the signed change', () => {
    const dir = tmp();
    const r = registry(dir);
    const change = signUpdate(r.bob.key, 'bob', r.alice.rec, {
      ...r.alice.rec,
      groups: ['sre', 'dba'],
      slackUserId: 'U0ALICE',
    });
    const out = changeApprover(dir, change);
    expect(out.groups).toEqual(['sre', 'dba']);
    expect(out.slackUserId).toBe('U0ALICE');
    expect(out.publicKey).toBe(r.alice.rec.publicKey);
    const loaded = loadApprovers(dir).find((a) => a.name === 'alice')!;
    expect(loaded.slackUserId).toBe('U0ALICE');
    expect(loaded.changes).toHaveLength(1);
  });

  it('refuses a change signed by the approver itself, by a removed approver, or stale', () => {
    const dir = tmp();
    const r = registry(dir);
    const self = signUpdate(r.alice.key, 'alice', r.alice.rec, { ...r.alice.rec, groups: ['root'] });
    expect(() => changeApprover(dir, self)).toThrow(/cannot sign a change to itself/);
    removeApprover(dir, 'carol', 'left');
    const byRemoved = signUpdate(r.carol.key, 'carol', r.alice.rec, { ...r.alice.rec, groups: ['root'] });
    expect(() => changeApprover(dir, byRemoved)).toThrow(/removed/);
    const old = signUpdate(r.bob.key, 'bob', r.alice.rec, { ...r.alice.rec, groups: ['root'] }, new Date(0));
    expect(() => changeApprover(dir, old)).toThrow(/older than/);
    const signed = signUpdate(r.bob.key, 'bob', r.alice.rec, { ...r.alice.rec, email: 'a@example.com' });
    const forged = { ...signed, after: { ...signed.after, groups: ['root'] } };
    expect(() => changeApprover(dir, forged)).toThrow(/not signed/);
    expect(loadApprovers(dir).find((a) => a.name === 'alice')!.groups).toEqual(['sre']);
  });

  it('refuses a change that does not start from the current fields (replayed or raced)', () => {
    const dir = tmp();
    const r = registry(dir);
    const first = signUpdate(r.bob.key, 'bob', r.alice.rec, { ...r.alice.rec, email: 'a@example.com' });
    changeApprover(dir, first);
    expect(() => changeApprover(dir, first)).toThrow(/does not start from/);
  });

  it('a hand edit of a field (a new group, a Slack id, a dropped change) fails the registry closed', () => {
    const dir = tmp();
    const r = registry(dir);
    changeApprover(dir, signUpdate(r.alice.key, 'alice', r.bob.rec, { ...r.bob.rec, email: 'b@example.com' }));
    const file = join(dir, 'bob.json');
    const saved = readFileSync(file, 'utf8');
    for (const edit of [{ groups: ['sre', 'root'] }, { slackUserId: 'U0EVIL' }, { changes: undefined }]) {
      writeFileSync(file, JSON.stringify({ ...(JSON.parse(saved) as object), ...edit }));
      expect(() => loadApprovers(dir), JSON.stringify(edit)).toThrow(FailClosedError);
    }
    writeFileSync(file, saved);
    expect(loadApprovers(dir)).toHaveLength(3);
  });
});

describe('approver key rotation', () => {
  const tmp = tempDirs();

  it('signed by the old and the new key; only the new key approves; old endorsements still hold', () => {
    const dir = tmp();
    const r = registry(dir);
    const next = makeApprover('bob-next');
    const out = changeApprover(dir, signRotate(r.bob.key, next.key, r.bob.rec));
    expect(out.publicKey).toBe(next.record.publicKey);
    expect(keyHistory(out)).toEqual([r.bob.rec.publicKey, next.record.publicKey]);
    const bob = loadApprovers(dir).find((a) => a.name === 'bob')!;
    expect(verifyDecision(decisionBy(next.key, 'bob'), bob)).toBe(true);
    expect(verifyDecision(decisionBy(r.bob.key, 'bob'), bob)).toBe(false);
    // carol's endorsement was signed by bob's old key and still anchors her
    expect(loadApprovers(dir).map((a) => a.name)).toEqual(['alice', 'bob', 'carol']);
  });

  it('refuses a rotation without the new key’s signature, or to a key already enrolled', () => {
    const dir = tmp();
    const r = registry(dir);
    const next = makeApprover('x');
    const noProof = { ...signRotate(r.bob.key, next.key, r.bob.rec), newKeySignature: undefined };
    expect(() => changeApprover(dir, noProof)).toThrow(UsageError);
    expect(() => changeApprover(dir, signRotate(r.bob.key, r.carol.key, r.bob.rec))).toThrow(/already enrolled/);
    const stolen = signRotate(r.carol.key, next.key, r.bob.rec);
    expect(() => changeApprover(dir, stolen)).toThrow(/previous key/);
  });

  it('an IdP-bound approver is not rotated (the ID token names the old key)', () => {
    const dir = tmp();
    const r = registry(dir);
    const file = join(dir, 'carol.json');
    const idp = { issuer: 'https://idp.example.com', subject: 'carol', idToken: 'x.y.z' };
    writeFileSync(file, JSON.stringify({ ...(JSON.parse(readFileSync(file, 'utf8')) as object), idp }));
    expect(() => changeApprover(dir, signRotate(r.carol.key, makeApprover('y').key, r.carol.rec))).toThrow(/IdP/);
  });
});
