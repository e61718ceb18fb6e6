/**
 * One interface for every place a request is raised (terminal, Slack, webhook, Teams).
 * Channels receive redacted request views only; they never see the real argv.
 */
export type { RequestIntent, RequestState, RequestView } from '../request/state.js';
export type { ChannelDecision } from '../request/vote.js';
import type { RequestView } from '../request/state.js';
import type { ChannelDecision } from '../request/vote.js';

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
