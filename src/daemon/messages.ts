/**
 * The daemon protocol's message shapes (types only: no runtime cost for the exec client).
 * The daemon validates every incoming message against src/daemon/schemas.ts; the clients check
 * the few fields they act on (src/daemon/client.ts).
 *
 * Every client message carries a numeric `id`; every daemon message carries `re`, the id of the
 * client message it answers. One client message can receive several `event`s (a waiting exec,
 * `wait`, `subscribe`) and at most one `result` or `error`.
 */
import type { Candidate } from '../approval/endorsement.js';
import type { ApproverChange, Endorsement, SignedDecision } from '../approval/types.js';
import type { RequestState, RequestView } from '../channels/types.js';
import type { EnforcedStatus } from './enforced-status.js';
import type { Effect, Risk } from '../policy/types.js';

export const PROTOCOL_VERSION = 1;

export interface ExecMessage {
  type: 'exec';
  /** The argv as decoded text (invalid UTF-8 replaced by U+FFFD), judged by policy. */
  argv: string[];
  /** Exact bytes of every argv element, base64, only when some element is not valid UTF-8. */
  rawArgvB64?: string[] | undefined;
  cwd: string;
  /** Leading VAR=value assignments the command is given (none today; reserved for wrappers). */
  env?: Record<string, string> | undefined;
  /** Requester context gathered by the client (src/context): requester, program digest, git… */
  context: Record<string, unknown>;
  reason?: string | undefined;
  ticket?: string | undefined;
  /** Wait at most this long for a decision (never longer than the rule's own timeout). */
  timeoutSeconds?: number | undefined;
  /** Keep the request when this connection goes away (`--no-wait`). */
  noWait: boolean;
  /** Re-attach to an existing request after losing the daemon (same argv, cwd, requester). */
  attach?: string | undefined;
  /**
   * The context is the quick kind (no program digest, no work-tree state). The daemon answers
   * `need_context` instead of holding or granting, and the client sends the full context.
   */
  partialContext?: boolean | undefined;
  /**
   * What the approval binds besides argv, cwd, requester and program digest (full context only):
   * sha256 hex of every environment variable's value by name (the daemon picks the bound names),
   * and each argument resolved as a path (realpath against cwd; src/context/binding.ts resolveTargets).
   */
  binding?: { env: Record<string, string>; targets: (string | null)[] } | undefined;
}

/**
 * `check`: judge a command as `exec` would and record the request and the decision, without
 * running anything (the agent hooks). Exactly one of `argv` or `shell` is given; a shell string
 * is judged as shell text and recorded as argv ['bash', '-c', shell]. The answer (CheckOutcome)
 * is sent only after the ledger commit.
 */
export interface CheckMessage extends Pick<ExecMessage, 'cwd' | 'env' | 'context' | 'reason' | 'ticket'> {
  type: 'check';
  argv?: string[] | undefined;
  shell?: string | undefined;
  /** The agent whose hook asks (recorded as `via: "hook:<agent>"`; without it `via: "check"`). */
  agent?: string | undefined;
  /** Record the request and decision in the ledger (default true). */
  record?: boolean | undefined;
  /** Record only decisions with one of these effects (default: all). */
  recordEffects?: Effect[] | undefined;
  /**
   * Why the agent says it runs this (the hook's transcript and tool description): agent-supplied,
   * never used for the decision; redacted, recorded and shown on the request the rewrite raises.
   */
  intent?: { userMessage?: string | undefined; agentExplanation?: string | undefined; source: string } | undefined;
}

/** The answer to `check`. Texts are redacted as in the ledger. */
export interface CheckOutcome {
  effect: Effect;
  risk: Risk;
  reasons: string[];
  matches: { ruleId: string; effect: Effect; risk: Risk; description: string; impact?: string | undefined }[];
  unresolved: { kind: string; detail: string }[];
  policyDigest: string;
  /** For effect `approve`: how long a request may wait, and how many humans it needs. */
  approval?: { timeoutSeconds: number; quorum: number } | undefined;
  /** The id of the recorded request; absent when nothing was recorded. */
  requestId?: string | undefined;
}

export type ClientBody =
  | { type: 'ping' }
  | ExecMessage
  | CheckMessage
  | { type: 'exec_end'; execId: string; exitCode: number; signal?: string | null | undefined; durationMs: number }
  | { type: 'decide'; signed: SignedDecision; via?: 'cli' | 'tui' | undefined }
  | { type: 'report_refusal'; requestId: string; approver: string; reason: string }
  | { type: 'reply'; requestId: string; message: string }
  | { type: 'revoke'; requestId: string; reason?: string | undefined }
  | { type: 'wait'; requestId: string; timeoutSeconds?: number | undefined }
  /** One page of requests; ask again with `cursor: next` until the answer has no `next`. */
  | { type: 'list'; all: boolean; cursor?: string | undefined; limit?: number | undefined }
  | { type: 'show'; requestId: string }
  | { type: 'subscribe' }
  | { type: 'history'; requestId?: string | undefined; sinceSeq?: number | undefined; limit?: number | undefined }
  | { type: 'status' }
  /**
   * Register an approver whose key the client created (the private half stays with the human).
   * Only the daemon's own uid or root may enrol; the daemon records `approver_enrolled`, or
   * `approver_enroll_refused` for anyone else. The answer is the registered ApproverRecord.
   */
  | { type: 'enroll'; candidate: Candidate; endorsement?: Endorsement | undefined }
  /** Remove an approver (owner only); recorded as `approver_removed`. Answer: the record. */
  | { type: 'approver_remove'; name: string; reason: string }
  /** A signed update or key rotation of an approver (owner only); recorded. Answer: the record. */
  | { type: 'approver_change'; change: ApproverChange }
  /** One approver's record as the daemon holds it (removed ones too); owner and approver users only. */
  | { type: 'approver_get'; name: string }
  | { type: 'shutdown' }
  /** Enforced mode: manage the credential store (owner only; src/daemon/handlers/credential.ts). */
  | {
      type: 'credential';
      op: 'add' | 'rotate' | 'remove' | 'list';
      name?: string | undefined;
      kind?: 'env' | 'file' | 'mint' | undefined;
      target?: string | undefined;
      valueB64?: string | undefined;
      ttlSeconds?: number | undefined;
    }
  /** Enforced mode: run the command the daemon answered `run` with `executor` for (src/daemon/executor.ts). */
  | { type: 'exec_run'; execId: string; env: Record<string, string>; cols?: number | undefined }
  /** Enforced mode: the executed command's stdin (`eof` closes it) and signals from `guard exec`. */
  | { type: 'exec_input'; execId: string; dataB64?: string | undefined; eof?: boolean | undefined }
  | { type: 'exec_signal'; execId: string; signal: string };

export type ClientMessage = ClientBody & { id: number };
export type ClientType = ClientBody['type'];

/** Errors the daemon sends back. `refused` and `not_found` are answers, the rest are failures. */
export type ErrorCode = 'bad_request' | 'not_found' | 'refused' | 'conflict' | 'fail_closed' | 'internal';

export type DaemonMessage =
  | { re: number; type: 'result'; data: unknown }
  | { re: number; type: 'error'; code: ErrorCode; message: string; hint?: string | undefined }
  | { re: number; type: 'event'; data: unknown };

/** The first answer to an exec message. */
export type ExecOutcome =
  | {
      outcome: 'run';
      execId: string;
      requestId: string;
      grant?: string | undefined;
      executor?: ExecutorRun | undefined;
    }
  | { outcome: 'deny'; requestId: string; reasons: string[]; rules: string[]; hint: string }
  | {
      outcome: 'pending';
      requestId: string;
      view: RequestView;
      /** Where approvers see it: channel names plus "guard approve" on this host. */
      channels: string[];
      waitUntil: string;
    }
  | { outcome: 'closed'; requestId: string; state: RequestState; reason: string }
  /** Only for a partial-context exec that needs approval: send again with the full context. */
  | { outcome: 'need_context' };

/**
 * Enforced mode: the daemon's executor runs this command, not the client. The client answers with
 * `exec_run`, giving the values of the environment variables named here (nothing else of its
 * environment), then streams stdin and signals; the daemon streams ExecutorEvents back.
 */
export interface ExecutorRun {
  env: string[];
}

/**
 * Events on an `exec_run` message; its result is `{exitCode, signal}` once the command ended.
 * stdout and stderr arrive as data frames (src/daemon/framing.ts); `credit` gives back stdin
 * window the command has taken (decision 1023).
 */
export type ExecutorEvent = { event: 'started' } | { event: 'credit'; bytes: number };

/** Events on a waiting exec (or `wait`) connection. */
export type WaitEvent =
  | { event: 'update'; view: RequestView }
  | {
      event: 'run';
      execId: string;
      requestId: string;
      approvedBy?: string[] | undefined;
      executor?: ExecutorRun | undefined;
    }
  | { event: 'approved'; requestId: string; view: RequestView }
  | { event: 'closed'; requestId: string; state: RequestState; reason: string };

export interface DaemonStatus {
  pid: number;
  version: string;
  protocol: number;
  startedAt: string;
  home: string;
  socket: string;
  policy: { digest: string; files: string[]; lastError?: string | undefined };
  requests: { pending: number; needsInfo: number; grants: number };
  /** How many approvers the registry holds; error when it cannot be loaded (fails closed). */
  approvers?: { enrolled: number; error?: string | undefined } | undefined;
  channels: { name: string; ok: boolean; detail: string }[];
  /** Enforced mode only (a runner user is configured): see src/daemon/enforced-status.ts. */
  enforced?: EnforcedStatus | undefined;
}

/** `list` answer: one page; `next` is the cursor of the following page, absent on the last. */
export interface RequestPage {
  requests: RequestDetail[];
  next?: string | undefined;
}

/** `show` answer: the view plus what an approver signs over. */
export interface RequestDetail {
  view: RequestView;
  fingerprint: string;
  grant?: { usesLeft: number; expiresAt: string; revoked: boolean } | undefined;
  votes: { approver: string; action: string; channel: string; at: string }[];
  /** Approving needs a fresh IdP login (identity: step-up). */
  stepUp?: boolean | undefined;
}
