/**
 * The shapes shared by the agent hook adapters. An adapter turns an agent's hook input into a
 * ShellCall, and a Verdict back into the agent's documented output (stdout, stderr, exit code).
 * The decision itself (src/integrations/decide.ts) knows nothing about any agent.
 */

export type AgentName = 'claude-code' | 'gemini' | 'codex' | 'cursor';

export const AGENTS: readonly AgentName[] = ['claude-code', 'gemini', 'codex', 'cursor'];

/** A shell command an agent is about to run, as its hook reported it. */
export interface ShellCall {
  /** The command line, as the agent's shell will receive it. */
  command: string;
  /** Absolute directory the command runs in. */
  cwd: string;
  /** The tool's own input object, kept so a rewrite can replace only the command. */
  toolInput: Record<string, unknown>;
  /** Session id when the agent sent one (for the approver's context). */
  session: string | undefined;
  /** Set for a file-editing tool (Write, Edit …): `command` is the shell line that writes the same files. */
  fileTool?: string | undefined;
  /** The agent's conversation file, when the hook input names one (read for intent only). */
  transcriptPath?: string | undefined;
  /** Recorded as the request's reason (Cursor's after-the-fact edits say so on the ledger). */
  note?: string | undefined;
}

/** What the adapter found in the hook input. */
export type Parsed =
  | { kind: 'shell'; call: ShellCall }
  /** Not a shell tool call (another tool, another event): guard has no opinion. */
  | { kind: 'other'; what: string };

/**
 * What guard answers. `pass`: run unchanged. `rewrite`: run `command` instead (through guard exec).
 * `block`: refuse with `reason`; `cause` tells a policy refusal from guard failing closed.
 * `other`: not a shell call, no opinion.
 */
export type Verdict =
  | { kind: 'pass'; reason: string }
  | { kind: 'rewrite'; command: string; reason: string; waitsForApproval: boolean }
  | { kind: 'block'; reason: string; cause: 'policy' | 'guard' }
  | { kind: 'other' };

/** What the hook process writes and how it exits. */
export interface HookReply {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface AgentAdapter {
  name: AgentName;
  /** Whether the agent applies a rewritten command (otherwise approval is handed to the model). */
  canRewrite: boolean;
  /**
   * Whether a rewrite switches off the agent's own permission checks for the command (Claude Code
   * and Codex apply a rewrite only with an "allow" decision, and their own rules then see the
   * rewritten line). Such agents get allowed commands passed unchanged, so their own checks still
   * decide: guard adds to them, never replaces them.
   */
  rewriteSkipsOwnChecks: boolean;
  /** Validate the decoded hook input; throws HookInputError when it is not what the agent sends. */
  parse(input: unknown, fallbackCwd: string): Parsed;
  /** The agent's documented answer for a verdict. */
  render(verdict: Verdict, call: ShellCall | undefined): HookReply;
}

/** The hook input is not what the agent documents: guard refuses (fail closed). */
export class HookInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HookInputError';
  }
}
