/**
 * One interface for every place a request is raised (terminal, Slack, webhook, Teams).
 * Channels receive redacted request views only; they never see the real argv.
 */
export type { RequestIntent, RequestState, RequestView } from '../request/state.js';
export type { ChannelDecision, ChannelIdentity } from '../request/vote.js';
import type { RequestView } from '../request/state.js';
import type { SignedDecision } from '../approval/types.js';
import type { ChannelDecision, ChannelIdentity } from '../request/vote.js';
import type { ChannelExtension } from '../request/channel-extend.js';
import type { ChannelRevocation } from '../daemon/channel-revoke.js';
import type { RequestDetail } from '../daemon/messages.js';

/** An open request for the web approval page: what `guard show` gives, and `shownViewHash` of it. */
export interface PendingRequest {
  detail: RequestDetail;
  viewHash: string;
}

/** An approved grant still usable (web page, TUI): its view (with `extendOffer` when the rule allows one) and its state now. */
export interface LiveGrant {
  view: RequestView;
  /** `scope`: a session grant's scope text as approved; absent for a grant of the exact command. */
  grant: { usesLeft: number; expiresAt: string; scope?: string | undefined };
}

/** Which open requests `ChannelHost.pending` returns: one request, one agent session's, or all. */
export interface PendingFilter {
  id?: string | undefined;
  session?: string | undefined;
}

/** What the daemon gives a channel so that it can report decisions back. */
export interface ChannelHost {
  /** Returns null when accepted, or a refusal text to show the human (unmapped user, self-approval…). */
  decide(decision: ChannelDecision): Promise<string | null>;
  /**
   * The open requests as `guard show` gives them, each with the hash of the view a step-up login
   * names (web page); only those of one request id or agent session when `only` names them (each
   * view and hash is built per call: a channel asking about one request or session pays for those).
   */
  pending?(only?: PendingFilter): PendingRequest[];
  /** The enrolled approver a channel identity maps to (web page sign-in), if exactly one. */
  whoIs?(identity: ChannelIdentity): string | undefined;
  /** A decision signed by an approver's own key, relayed by the hub: checked like `guard approve` (decision 1049). */
  decideSigned?(signed: SignedDecision): Promise<string | null>;
  /** An extension of an approved grant asked for on the channel (decision 1091): null, or the refusal. */
  extend?(extension: ChannelExtension): Promise<string | null>;
  /** The approved live grants (web page, decision 1092). */
  grants?(): LiveGrant[];
  /** A revocation of a request or its grant asked for on the channel (decision 1094): null, or the refusal. */
  revoke?(revocation: ChannelRevocation): Promise<string | null>;
  /** The enrolled approvers' public keys (and IdP identities), which the hub link distributes to the hub (decision 1049). */
  approverKeys?(): { name: string; publicKey: string; idp?: { subject: string; issuer: string } }[];
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
  /** Where a human approves this request with a fresh IdP login (the web approval page), if this channel is it. */
  approvalUrl?(requestId: string): string | undefined;
}
