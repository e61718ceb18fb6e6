/**
 * Enrollment endorsements: once one approver exists, every new approver must be vouched for by
 * an existing approver's key (which needs that human's passphrase). An agent cannot enroll
 * itself an approver key and then approve its own requests.
 */
import { canonicalize } from '../util/canonical.js';
import { parseTime } from './encoding.js';
import type { ApproverKey } from './keys.js';
import { endorsementSchema, firstIssue } from './schema.js';
import { endorsementStatement, verifyStatement } from './statement.js';
import type { ApproverRecord, Endorsement, EndorsementStatement } from './types.js';
import { messageOf } from '../errors.js';

export type Candidate = Omit<ApproverRecord, 'enrolledAt' | 'endorsedBy' | 'fingerprint'>;

/** How long an endorsement stays valid after signing (it is made and used by one command). */
export const ENDORSEMENT_MAX_AGE_SECONDS = 15 * 60;
const FUTURE_SKEW_MS = 5 * 60 * 1000;

export function signEndorsement(
  key: ApproverKey,
  endorser: string,
  candidate: Candidate,
  now: Date = new Date(),
): Endorsement {
  const statement: EndorsementStatement = endorsementStatement({
    v: 1,
    kind: 'enroll',
    name: candidate.name,
    groups: candidate.groups,
    publicKey: candidate.publicKey,
    osUser: candidate.osUser,
    slackUserId: candidate.slackUserId,
    email: candidate.email,
    endorser,
    at: now.toISOString(),
  });
  return { ...statement, signature: key.signBytes(statement) };
}

export function checkEndorsement(
  e: Endorsement,
  approvers: ApproverRecord[],
  now: Date,
): { ok: true } | { ok: false; reason: string } {
  try {
    const parsed = endorsementSchema.safeParse(e);
    if (!parsed.success) return { ok: false, reason: `malformed endorsement: ${firstIssue(parsed.error)}` };
    const d = parsed.data;
    const endorser = approvers.find((a) => a.name === d.endorser);
    if (endorser === undefined) return { ok: false, reason: `endorser "${d.endorser}" is not an enrolled approver` };
    if (d.endorser === d.name) return { ok: false, reason: 'an approver cannot endorse itself' };
    if (!verifyStatement(endorsementStatement(d), d.signature, endorser.publicKey)) {
      return {
        ok: false,
        reason: `the endorsement is not signed by ${endorser.name}'s key (${endorser.fingerprint.slice(0, 16)})`,
      };
    }
    const at = parseTime(d.at)!;
    const t = now.getTime();
    if (!Number.isFinite(t) || at > t + FUTURE_SKEW_MS)
      return { ok: false, reason: `endorsement signed in the future (${d.at})` };
    if (at < t - ENDORSEMENT_MAX_AGE_SECONDS * 1000)
      return {
        ok: false,
        reason: `endorsement signed at ${d.at} is older than ${ENDORSEMENT_MAX_AGE_SECONDS / 60} minutes`,
      };
    if (approvers.some((a) => a.name === d.name)) return { ok: false, reason: `"${d.name}" is already enrolled` };
    return { ok: true };
  } catch (err) {
    return {
      ok: false,
      reason: `endorsement could not be checked: ${messageOf(err)}`,
    };
  }
}

/** The endorsement must be about exactly this candidate, field for field. */
export function endorsementCovers(e: Endorsement, c: Candidate): boolean {
  const signed = endorsementStatement(e);
  const wanted = endorsementStatement({
    ...signed,
    name: c.name,
    groups: c.groups,
    publicKey: c.publicKey,
    osUser: c.osUser,
    slackUserId: c.slackUserId,
    email: c.email,
  });
  return canonicalize(signed) === canonicalize(wanted);
}
