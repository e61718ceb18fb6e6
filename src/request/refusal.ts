/**
 * Why the request core said no: one set of codes for every event and every channel. The ledger's
 * `approval_refused` records carry these strings, so they stay short and readable (decision 1001).
 */
import type { DecisionRefusal } from '../approval/decision.js';

export const Refused = {
  /** No request with that id. */
  NotFound: 'not-found',
  /** The request is no longer open (decided, expired, cancelled, revoked) or past its deadline. */
  NotPending: 'not-pending',
  /** The name or channel identity is not an enrolled approver. */
  UnknownApprover: 'unknown-approver',
  /**
   * With `identity:` configured: a Slack or Teams identity that identity.channel_subjects does not
   * map to an IdP subject, or maps to a subject no approver or several approvers are enrolled with.
   */
  UnmappedIdentity: 'unmapped-identity',
  /** Signed decisions: the signature is not the approver's. */
  BadSignature: 'bad-signature',
  WrongRequest: 'wrong-request',
  WrongFingerprint: 'wrong-fingerprint',
  /** Signed outside the allowed clock skew around the request's life. */
  Stale: 'stale',
  Malformed: 'malformed',
  /** This signed decision was already counted. */
  Replayed: 'replayed',
  /** Groups or four-eyes keep this approver's approval from counting. */
  Ineligible: 'ineligible',
  /** A client reported a failed approval attempt of its own (report_refusal). */
  ClientReported: 'client-reported',
  /** A reply while no question is open. */
  NoQuestion: 'no-question',
  /** Revoke of a request that is neither open nor holding a live grant. */
  NothingToRevoke: 'nothing-to-revoke',
  /** Consume on a request without a grant. */
  NoGrant: 'no-grant',
  /** Consume of a grant that is revoked, used up, expired or for another fingerprint. */
  GrantUnusable: 'grant-unusable',
  /** A scoped grant outside the policy's bounds or the request, or a scope text that differs. */
  GrantRefused: 'grant-refused',
  /** Expire before the deadline (the host re-arms its timer). */
  NotDue: 'not-due',
  /** Create with an id that is already taken. */
  Exists: 'exists',
  /** Escalate of a request whose rule does not escalate, or that already escalated. */
  NoEscalation: 'no-escalation',
  /** A signed approval that does not name the effect preview the request shows (src/preview). */
  WrongPreview: 'wrong-preview',
  /** A signed grant extension outside the grant as it stands, the policy's bounds or the approver's rights (decision 1087). */
  ExtendRefused: 'extend-refused',
} as const;

export type RefusalCode = (typeof Refused)[keyof typeof Refused];

// every code the signature check gives is one of ours (compile-time check)
type DecisionCodesAreOurs = DecisionRefusal extends RefusalCode ? true : never;
export const decisionCodesAreOurs: DecisionCodesAreOurs = true;

export interface Refusal {
  refused: RefusalCode;
  /** For the human (and the ledger): what was refused and why. */
  reason: string;
}

export function refusal(code: RefusalCode, reason: string): Refusal {
  return { refused: code, reason };
}

export function isRefusal(x: object): x is Refusal {
  return 'refused' in x;
}
