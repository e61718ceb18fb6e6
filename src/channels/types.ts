/**
 * One interface for every place a request is raised (terminal, Slack, webhook, Teams).
 * Channels receive redacted request views only; they never see the real argv.
 */
import type { Risk } from '../policy/types.js';

export type RequestState = 'pending' | 'needs_info' | 'approved' | 'denied' | 'expired' | 'cancelled' | 'revoked';

/** What a human needs to decide, already redacted. */
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
}

/** Agent-supplied intent as shown: redacted text, its label, and the sha256 the ledger keeps. */
export interface RequestIntent {
  userMessage?: string | undefined;
  agentExplanation?: string | undefined;
  source: string;
  label: string;
  sha256: string;
}

/** A decision coming back from a channel, with the identity the channel verified. */
export interface ChannelDecision {
  requestId: string;
  action: 'approve' | 'deny' | 'ask';
  /** Identity as verified by the channel: Slack user id, Entra e-mail, webhook key id. */
  identity: {
    channel: string;
    id: string;
    display?: string | undefined;
    /** What vouched for `id`: 'slack:<team id>', 'webhook:<endpoint name>', 'teams:<flow host>'. */
    verifiedBy?: string | undefined;
  };
  reason?: string | undefined;
  question?: string | undefined;
}

/** What the daemon gives a channel so that it can report decisions back. */
export interface ChannelHost {
  /** Returns null when accepted, or a refusal text to show the human (unmapped user, self-approval…). */
  decide(decision: ChannelDecision): Promise<string | null>;
  log(event: { channel: string; level: 'info' | 'warn' | 'error'; message: string }): void;
}

export interface Channel {
  readonly name: string;
  start(host: ChannelHost): Promise<void>;
  /** A new request to raise. */
  notify(request: RequestView): Promise<void>;
  /** The request changed state (approved by whom, expired, revoked…). */
  update(request: RequestView): Promise<void>;
  stop(): Promise<void>;
  /** For `guard daemon status`: delivery health. */
  status(): { ok: boolean; detail: string };
  /** Resolves when every queued delivery has finished (delivered or given up). Tests, orderly shutdown. */
  flush?(): Promise<void>;
}
