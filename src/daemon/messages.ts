/**
 * The daemon protocol's message shapes (types only: no runtime cost for the exec client).
 * The daemon validates every incoming message against src/daemon/schemas.ts; the clients check
 * the few fields they act on (src/daemon/client.ts).
 *
 * Every client message carries a numeric `id`; every daemon message carries `re`, the id of the
 * client message it answers. One client message can receive several `event`s (a waiting exec,
 * `wait`, `subscribe`) and at most one `result` or `error`.
 */
import type { Effect } from '../policy/types.js';
import type { ClientBodies } from './schemas.js';

export type {
  CheckOutcome,
  DaemonStatus,
  ExecOutcome,
  ExecutorEvent,
  ExecutorRun,
  ReplyOf,
  RequestDetail,
  RequestPage,
  WaitEvent,
} from './replies.js';

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
   * Quick context: the names of the variables set in the environment the client runs the command
   * with. When the policy reads one of them the daemon asks for the full context (decision 1026).
   */
  envNames?: string[] | undefined;
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

/**
 * Every client message body, derived from its zod schema (src/daemon/schemas.ts). What each carries:
 * `exec` and `check` above; `list` returns one page (ask again with `cursor: next` until the answer
 * has no `next`); `enroll` registers an approver whose key the client created (only the daemon's own
 * uid or root may; the answer is the registered ApproverRecord); `approver_remove` (owner only,
 * recorded as `approver_removed`), `approver_change` (a signed update or key rotation, owner only)
 * and `approver_get` (removed ones too; owner and approver users) answer with the record;
 * `credential` manages the enforced
 * mode's credential store (owner only); `exec_run`, `exec_stream` and `exec_signal` drive a command
 * the daemon's executor runs (src/daemon/executor.ts).
 */
export type ClientBody = ClientBodies[keyof ClientBodies];
/** The body of one client message type. */
export type BodyOf<K extends ClientType> = ClientBodies[K];

export type ClientMessage = ClientBody & { id: number };
export type ClientType = keyof ClientBodies;

/** Errors the daemon sends back. `refused` and `not_found` are answers, the rest are failures. */
export type ErrorCode = 'bad_request' | 'not_found' | 'refused' | 'conflict' | 'fail_closed' | 'internal';

export type DaemonMessage =
  | { re: number; type: 'result'; data: unknown }
  | { re: number; type: 'error'; code: ErrorCode; message: string; hint?: string | undefined }
  | { re: number; type: 'event'; data: unknown };
