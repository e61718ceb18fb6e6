/**
 * What a request is: its states, the one answer to "is it still open?", the redacted view humans
 * decide on, and the record the daemon keeps. Only redacted material and the fingerprint are kept:
 * the real argv lives in the client that will run it and never touches disk.
 */
import type { Grant } from '../approval/grants.js';
import type { Vote } from '../approval/types.js';
import type { JsonValue, RecordType } from '../ledger/types.js';
import type { ApprovalSettings, Requester, Risk } from '../policy/types.js';

export const REQUEST_STATES = [
  'pending',
  'needs_info',
  'approved',
  'denied',
  'expired',
  'cancelled',
  'revoked',
] as const;

export type RequestState = (typeof REQUEST_STATES)[number];

/** States in which a request still takes votes, a reply, a cancel or an expiry. */
export const OPEN_STATES: ReadonlySet<string> = new Set<RequestState>(['pending', 'needs_info']);

/** Is this request (or its view) still open to decisions? */
export function isOpen(r: { state: string }): boolean {
  return OPEN_STATES.has(r.state);
}

/** What a human needs to decide, already redacted. */
/** A live grant as shown (`from`) and the widest extension its rule allows (`to`). */
export interface ExtendOffer {
  from: { usesLeft: number; expiresAt: string };
  to: { usesLeft: number; expiresAt: string };
}

export interface RequestView {
  id: string;
  state: RequestState;
  /** Redacted command line for display. */
  command: string;
  /** Redacted argv for display. */
  argv: string[];
  cwd: string;
  risk: Risk;
  requester: { user: string; agent?: string | undefined; host?: string | undefined; onBehalfOf?: string | undefined };
  reason?: string | undefined;
  ticket?: string | undefined;
  /** Matched rules with impact text and controls. */
  rules: {
    id: string;
    effect: string;
    risk: Risk;
    description: string;
    impact?: string | undefined;
    controls: string[];
  }[];
  /** Simple commands the parser found, redacted. */
  commands: string[];
  context: Record<string, string>;
  createdAt: string;
  expiresAt: string;
  quorum: number;
  approvals: { approver: string; channel: string; at: string }[];
  /** Set once decided. */
  decidedBy?: string | undefined;
  decisionReason?: string | undefined;
  /** needs_info: the question asked and any reply. */
  question?: string | undefined;
  /** needs_info: the approver who asked. */
  askedBy?: string | undefined;
  reply?: string | undefined;
  /** The agent session the requester reported (redacted), for batch review of one session. */
  session?: string | undefined;
  /** Why the agent says it wants this (hook transcript / tool description): agent-supplied, redacted. */
  intent?: RequestIntent | undefined;
  /** The group that may also decide since the request escalated (policy `escalate`). */
  escalatedTo?: string | undefined;
  /** What the tool says the command would do (src/preview), run before the request was shown. */
  preview?: RequestPreview | undefined;
  /**
   * The policy's bounds for a scoped grant (`max_uses`, `max_ttl`, decision 1082) and its default
   * grant lifetime, when every matching rule allows one: what an approver's surface may offer.
   */
  grantBounds?: GrantBounds | undefined;
  /** Set only on views sent to channels: the approved grant a channel may extend (decision 1091). */
  extendOffer?: ExtendOffer | undefined;
  /** Set only on views sent to channels: the approved grant is live and may be revoked there (decision 1094). */
  revocable?: boolean | undefined;
  /** Set only on views sent to channels, with `revocable`: the live grant now and its scope as approved (decision 1107). */
  liveGrant?: LiveGrantView | undefined;
}

/** A live grant on a channel view: uses left, expiry, and the scope in words, cut to a budget (the cut named). */
export interface LiveGrantView {
  usesLeft: number;
  expiresAt: string;
  /** The scope as approved (src/request/grant-scope.ts `approvedScope`), at most SCOPE_MAX_BYTES; ends "…" when cut. */
  scope: string;
  /** Characters of the scope not shown (its command is whole in the view's `command`); absent when whole. */
  scopeOmitted?: number | undefined;
}

export interface GrantBounds {
  maxUses: number;
  maxTtlSeconds: number;
  /** The policy's grant lifetime, at most `maxTtlSeconds`. */
  ttlSeconds: number;
}

/** An effect preview as shown: redacted text, its status and label, and the sha256 the ledger keeps. */
export interface RequestPreview {
  kind: string;
  title: string;
  status: 'ok' | 'failed' | 'timeout' | 'skipped';
  text: string;
  label: string;
  sha256: string;
}

/** Agent-supplied intent as shown: redacted text, its label, and the sha256 the ledger keeps. */
export interface RequestIntent {
  userMessage?: string | undefined;
  agentExplanation?: string | undefined;
  source: string;
  label: string;
  sha256: string;
}

/** What the daemon keeps about one request. */
export interface StoredRequest {
  id: string;
  state: RequestState;
  fingerprint: string;
  createdAt: string;
  /** Decision deadline: a request still open then expires (expiry means deny). */
  expiresAt: string;
  /** Created with --no-wait: survives its client going away. */
  detached: boolean;
  view: RequestView;
  settings: ApprovalSettings;
  requester: Requester;
  votes: Vote[];
  /** Time of the requester's last reply to a question. */
  repliedAt?: string | undefined;
  grant?: Grant | undefined;
  /** When the request escalated (policy `escalate`): it happens at most once. */
  escalatedAt?: string | undefined;
  policyDigest: string;
  updatedAt: string;
}

/** One ledger record a transition asks the host to write before it commits the change. */
export type LedgerItem = { type: RecordType; payload: JsonValue };
