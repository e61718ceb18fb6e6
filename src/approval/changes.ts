/**
 * Changes to an enrolled approver (decision 0426). A record keeps every signed change since its
 * enrolment, oldest first, and its top-level fields are the result of the last one, so every load
 * can replay the chain: enrolment endorsement over the first `before`, then each change.
 *
 * - update (groups, OS user, Slack id, email): signed by ANOTHER enrolled approver, because each
 *   of these widens what the approver can do (a new group, a new channel identity, a different OS
 *   user for four-eyes). The key stays.
 * - rotate (a new key): signed by the old key and by the new one (proof of possession); nothing
 *   else changes. Signatures made with an old key stay valid for what they signed then
 *   (endorsements, changes); a decision must be signed with the current key.
 */
import { publicKeyFingerprint, withoutUndefined } from './encoding.js';
import type { ApproverKey } from './keys.js';
import { verifyStatement } from './statement.js';
import type { ApproverChange, ApproverChangeStatement, ApproverFields, ApproverRecord } from './types.js';

export function approverFields(r: ApproverFields): ApproverFields {
  const { groups, publicKey, osUser, slackUserId, email } = r;
  return withoutUndefined({ groups: [...groups], publicKey, osUser, slackUserId, email });
}

export function sameFields(a: ApproverFields, b: ApproverFields): boolean {
  return JSON.stringify(approverFields(a)) === JSON.stringify(approverFields(b));
}

export function changeStatement(c: ApproverChangeStatement): ApproverChangeStatement {
  const { v, kind, name, before, after, signer, at } = c;
  return { v, kind, name, before: approverFields(before), after: approverFields(after), signer, at };
}

/** The fields the approver was enrolled with (what the enrolment endorsement signed). */
export function enrolledFields(rec: ApproverRecord): ApproverFields {
  return approverFields(rec.changes?.[0]?.before ?? rec);
}

/** Every key the approver has held, oldest first; the last is the current one. */
export function keyHistory(rec: ApproverRecord): string[] {
  const keys = [enrolledFields(rec).publicKey];
  for (const c of rec.changes ?? []) if (c.after.publicKey !== keys.at(-1)) keys.push(c.after.publicKey);
  return keys;
}

/** Did this approver ever hold a key that signed `statement`? (for statements made in the past) */
export function signedByHistory(rec: ApproverRecord, statement: object, signature: string): boolean {
  return keyHistory(rec).some((k) => verifyStatement(statement, signature, k));
}

export function signUpdate(
  key: ApproverKey,
  signer: string,
  rec: ApproverRecord,
  after: ApproverFields,
  now: Date = new Date(),
): ApproverChange {
  const statement = changeStatement({
    v: 1,
    kind: 'update',
    name: rec.name,
    before: rec,
    after: { ...after, publicKey: rec.publicKey },
    signer,
    at: now.toISOString(),
  });
  return { ...statement, signature: key.signBytes(statement) };
}

export function signRotate(
  oldKey: ApproverKey,
  newKey: ApproverKey,
  rec: ApproverRecord,
  now: Date = new Date(),
): ApproverChange {
  const statement = changeStatement({
    v: 1,
    kind: 'rotate',
    name: rec.name,
    before: rec,
    after: { ...approverFields(rec), publicKey: newKey.publicKey },
    signer: rec.name,
    at: now.toISOString(),
  });
  return { ...statement, signature: oldKey.signBytes(statement), newKeySignature: newKey.signBytes(statement) };
}

/**
 * Why one change does not follow from `before` (undefined: it does). `signer` is the signing
 * approver's record for an update (another approver), ignored for a rotation.
 */
export function changeProblem(
  c: ApproverChange,
  name: string,
  before: ApproverFields,
  signer: ApproverRecord | undefined,
): string | undefined {
  const statement = changeStatement(c);
  if (c.name !== name) return `a change names "${c.name}"`;
  if (!sameFields(c.before, before)) return `a change of ${c.at} does not start from the approver's fields before it`;
  if (c.kind === 'rotate') {
    const { publicKey: _o, ...restBefore } = approverFields(c.before);
    const { publicKey: _n, ...restAfter } = approverFields(c.after);
    if (JSON.stringify(restBefore) !== JSON.stringify(restAfter)) return 'a key rotation may change only the key';
    if (c.after.publicKey === c.before.publicKey) return 'a key rotation must change the key';
    if (c.signer !== name) return 'a key rotation is signed by the approver itself';
    if (!verifyStatement(statement, c.signature, c.before.publicKey))
      return `the key rotation of ${c.at} is not signed by the previous key`;
    if (c.newKeySignature === undefined || !verifyStatement(statement, c.newKeySignature, c.after.publicKey))
      return `the key rotation of ${c.at} is not signed by the new key`;
    return undefined;
  }
  if (c.after.publicKey !== c.before.publicKey) return 'an update may not change the key (use rotate)';
  if (c.newKeySignature !== undefined) return 'an update carries no new-key signature';
  if (c.signer === name) return 'an approver cannot sign a change to itself';
  if (signer === undefined) return `the change of ${c.at} is signed by "${c.signer}", who is not an enrolled approver`;
  if (signer.removed !== undefined && signer.removed.at <= c.at)
    return `the change of ${c.at} is signed by "${c.signer}", removed at ${signer.removed.at}`;
  if (!signedByHistory(signer, statement, c.signature))
    return `the change of ${c.at} is not signed by any key of "${c.signer}"`;
  return undefined;
}

/** Replay a record's changes; undefined when every change holds and the record is their result. */
export function changesProblem(rec: ApproverRecord, byName: Map<string, ApproverRecord>): string | undefined {
  let fields = enrolledFields(rec);
  for (const c of rec.changes ?? []) {
    const problem = changeProblem(c, rec.name, fields, byName.get(c.signer));
    if (problem !== undefined) return problem;
    fields = approverFields(c.after);
  }
  if (!sameFields(fields, rec)) return 'its fields differ from its enrolment and signed changes (edited by hand?)';
  if (publicKeyFingerprint(rec.publicKey) !== rec.fingerprint) return 'the fingerprint does not match the public key';
  return undefined;
}

/** The record after one more change (checked by the registry before it is written). */
export function withChange(rec: ApproverRecord, c: ApproverChange): ApproverRecord {
  const after = approverFields(c.after);
  const next: ApproverRecord = {
    ...rec,
    osUser: undefined,
    slackUserId: undefined,
    email: undefined,
    ...after,
    fingerprint: publicKeyFingerprint(after.publicKey),
    changes: [...(rec.changes ?? []), c],
  };
  return withoutUndefined(next);
}
