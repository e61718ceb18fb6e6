/**
 * Contracts between the approval module (keys, signatures, quorum — src/approval) and the daemon
 * (src/daemon), which stores requests and drives the state machine.
 */
import type { ApprovalSettings, Requester } from '../policy/types.js';

/** An enrolled human. Only public material is stored by the daemon. */
import type { GrantRequest } from './scope.js';

export interface ApproverRecord {
  name: string;
  groups: string[];
  /** Ed25519 public key, base64 of the raw 32 bytes. */
  publicKey: string;
  /** sha256 hex of the raw public key, first 16 hex chars shown to humans. */
  fingerprint: string;
  /** OS user of this human, for four-eyes against the requester. */
  osUser?: string | undefined;
  /** Verified remote identities mapped to this approver. */
  slackUserId?: string | undefined;
  email?: string | undefined;
  enrolledAt: string;
  /** Name of the existing approver whose signature endorsed this enrollment (absent for the bootstrap approver). */
  endorsedBy?: string | undefined;
  /** The endorsement itself, kept so that every load can check it (a hand-written record has none). */
  endorsement?: Endorsement | undefined;
  /** IdP-bound enrolment (level 2): the provider's ID token whose nonce names this public key. */
  idp?: IdpBinding | undefined;
  /** Signed changes since enrolment, oldest first; the fields above are the result (src/approval/changes.ts). */
  changes?: ApproverChange[] | undefined;
  /** Removed: kept so that its endorsements still anchor the chain; counts for nothing. */
  removed?: { at: string; reason: string } | undefined;
}

/** What a change replaces: everything a decision, four-eyes or a channel click reads. */
export interface ApproverFields {
  groups: string[];
  publicKey: string;
  osUser?: string | undefined;
  slackUserId?: string | undefined;
  email?: string | undefined;
}

export interface ApproverChangeStatement {
  v: 1;
  kind: 'update' | 'rotate';
  name: string;
  before: ApproverFields;
  after: ApproverFields;
  signer: string;
  at: string;
}

export interface ApproverChange extends ApproverChangeStatement {
  signature: string;
  newKeySignature?: string | undefined;
}

export interface IdpBinding {
  issuer: string;
  subject: string;
  idToken: string;
}

export type DecisionAction = 'approve' | 'deny' | 'ask';

/** The statement an approver signs. Canonical JSON of the fields below (without signature) is signed. */
export interface DecisionStatement {
  v: 1;
  requestId: string;
  /** Request fingerprint (sha256 hex over exact argv, cwd, requester, program digest). */
  fingerprint: string;
  action: DecisionAction;
  reason?: string | undefined;
  question?: string | undefined;
  /** ISO-8601 time the approver signed. */
  at: string;
  approver: string;
  /** Approve with a scoped grant (src/approval/scope.ts); absent: the policy's grant. */
  grant?: GrantRequest | undefined;
  /** sha256 of the effect preview the approver was shown (src/preview); required to approve a previewed request. */
  preview?: string | undefined;
}

export interface SignedDecision extends DecisionStatement {
  /** base64 Ed25519 signature over the canonical bytes of the statement. */
  signature: string;
}

/** A vote as it stands in a request (local signed, or remote with channel identity). */
export interface Vote {
  approver: string;
  action: DecisionAction;
  channel: string;
  at: string;
  reason?: string | undefined;
  question?: string | undefined;
  /** Present for local approvals. */
  signature?: string | undefined;
  /** The scoped grant the approver signed for (checked against the policy's bounds). */
  grant?: GrantRequest | undefined;
  /** Present for remote approvals: the identity the channel verified. */
  identity?: string | undefined;
  /** The IdP subject identity.channel_subjects mapped that identity to (it then names the approver, not the record's own ids). */
  subject?: string | undefined;
}

export interface QuorumInput {
  settings: ApprovalSettings;
  requester: Requester;
  votes: Vote[];
  approvers: ApproverRecord[];
  /** When the requester last answered a question (`guard reply`): asks up to then are answered. */
  repliedAt?: string | undefined;
}

export type QuorumOutcome =
  | { state: 'approved'; approvers: string[] }
  | { state: 'denied'; by: string; reason: string | undefined }
  | { state: 'needs_info'; by: string; question: string }
  | { state: 'pending'; have: number; need: number };

/**
 * What an existing approver signs to let a new approver in (every enrollment after the first).
 * The signature covers the canonical JSON of every field except `signature`.
 */
export interface EndorsementStatement {
  v: 1;
  kind: 'enroll';
  /** The candidate's name, groups, public key and identities: everything that grants authority. */
  name: string;
  groups: string[];
  publicKey: string;
  osUser?: string | undefined;
  slackUserId?: string | undefined;
  email?: string | undefined;
  /** Name of the enrolled approver who signs. */
  endorser: string;
  /** ISO-8601 time of signing. */
  at: string;
}

export interface Endorsement extends EndorsementStatement {
  /** base64 Ed25519 signature by the endorser's key over the canonical statement bytes. */
  signature: string;
}
