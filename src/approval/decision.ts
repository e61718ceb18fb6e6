/**
 * Daemon side: is this signed decision from an enrolled approver, about this exact request, now?
 * Whether the request still takes decisions is the request core's question (src/request/vote.ts).
 * Pure (the clock is an argument) and total: anything malformed is a refusal, never a throw.
 */
import { parseTime } from './encoding.js';
import { signedDecisionSchema, firstIssue } from './schema.js';
import { decisionStatement, verifyStatement } from './statement.js';
import type { ApproverRecord, SignedDecision } from './types.js';
import { messageOf } from '../errors.js';

export type DecisionRefusal =
  'unknown-approver' | 'bad-signature' | 'wrong-request' | 'wrong-fingerprint' | 'stale' | 'malformed';

export type DecisionCheck =
  { ok: true; approver: ApproverRecord } | { ok: false; reason: string; code: DecisionRefusal };

/** Default tolerance between the approver's clock, the daemon's clock and the request's creation. */
export const DEFAULT_MAX_SKEW_SECONDS = 300;

/** Signature over the canonical statement bytes, checked against the approver's enrolled key. */
export function verifyDecision(signed: SignedDecision, approver: ApproverRecord): boolean {
  const parsed = signedDecisionSchema.safeParse(signed);
  if (!parsed.success || parsed.data.approver !== approver.name) return false;
  return verifyStatement(decisionStatement(parsed.data), parsed.data.signature, approver.publicKey);
}

export function checkDecision(input: {
  signed: SignedDecision;
  request: { id: string; fingerprint: string; createdAt: string };
  approvers: ApproverRecord[];
  now: Date;
  maxSkewSeconds?: number;
}): DecisionCheck {
  try {
    return check(input);
  } catch (err) {
    // Fail closed on anything unforeseen (e.g. getters that throw on a hostile object).
    return {
      ok: false,
      code: 'malformed',
      reason: `decision could not be checked: ${messageOf(err)}`,
    };
  }
}

function check(input: Parameters<typeof checkDecision>[0]): DecisionCheck {
  const parsed = signedDecisionSchema.safeParse(input.signed);
  if (!parsed.success)
    return { ok: false, code: 'malformed', reason: `malformed decision: ${firstIssue(parsed.error)}` };
  const d = parsed.data;
  const approver = input.approvers.find((a) => a.name === d.approver);
  if (approver === undefined)
    return { ok: false, code: 'unknown-approver', reason: `"${d.approver}" is not an enrolled approver` };
  if (!verifyStatement(decisionStatement(d), d.signature, approver.publicKey)) {
    return {
      ok: false,
      code: 'bad-signature',
      reason: `the signature is not ${approver.name}'s (key ${approver.fingerprint.slice(0, 16)})`,
    };
  }
  const req = input.request;
  if (d.requestId !== req.id)
    return { ok: false, code: 'wrong-request', reason: `signed for request ${d.requestId}, not ${req.id}` };
  if (d.fingerprint !== req.fingerprint) {
    return {
      ok: false,
      code: 'wrong-fingerprint',
      reason: 'signed for a different command, directory or requester than this request',
    };
  }
  const skew = validSkew(input.maxSkewSeconds) * 1000;
  const at = parseTime(d.at)!; // schema guarantees it parses
  const created = parseTime(req.createdAt);
  const now = input.now.getTime();
  if (!Number.isFinite(now) || created === undefined)
    return { ok: false, code: 'malformed', reason: 'request time or clock is not a valid time' };
  if (at < created - skew)
    return { ok: false, code: 'stale', reason: `signed at ${d.at}, before the request was created (${req.createdAt})` };
  if (at > now + skew)
    return { ok: false, code: 'stale', reason: `signed at ${d.at}, in the future (check the approver's clock)` };
  if (at < now - skew) return { ok: false, code: 'stale', reason: `signed at ${d.at}, more than ${skew / 1000}s ago` };
  return { ok: true, approver };
}

function validSkew(s: number | undefined): number {
  return s !== undefined && Number.isFinite(s) && s >= 0 ? s : DEFAULT_MAX_SKEW_SECONDS;
}
