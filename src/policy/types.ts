/**
 * The policy engine's public types. The engine is a pure function
 * (request, compiled policy) → decision; loading, watching and hashing live outside it.
 * Other modules (exec client, daemon, channels, TUI) depend only on these types and on
 * the functions exported from src/policy/index.ts.
 */

export type Effect = 'allow' | 'approve' | 'deny';
export type Risk = 'low' | 'medium' | 'high' | 'critical';

/** Who asks. Filled by the exec client (src/context) and checked by the daemon. */
export interface Requester {
  /** OS user name the agent runs as. */
  user: string;
  /** Agent name (claude-code, codex, gemini, ci, …) when known. */
  agent?: string | undefined;
  host?: string | undefined;
  /** The human the agent acts for, when known (four-eyes compares approvers to this). */
  onBehalfOf?: string | undefined;
}

/** What the engine judges. `argv` is the real argv (the engine never stores or prints it). */
export interface PolicyRequest {
  argv: string[];
  cwd: string;
  requester: Requester;
  /** Environment assignments given to the command (rules can match on names/values). */
  env?: Record<string, string> | undefined;
  /**
   * A shell command line to judge instead of argv (hooks that receive a command string, `guard
   * check --shell`). When set, it is parsed as shell text and argv is only for display.
   */
  shell?: string | undefined;
  /**
   * Script files read by the caller at decision time (the daemon, src/policy/script-read.ts), by
   * the absolute path a `ScriptRef` names. When set, a command that runs a file missing here is
   * unresolved; when absent the line alone is judged (text-only callers such as the corpus tests).
   */
  files?: Readonly<Record<string, ScriptFile>> | undefined;
}

/** A file a command runs whose content decides what it does (a script, a Makefile, SQL). */
export interface ScriptRef {
  /** Absolute path; for `make` without `-f`, the directory with a trailing `/`. */
  path: string;
  kind: 'shell' | 'code' | 'sql' | 'make' | 'exec';
  /** sha256 hex of the content judged (filled by the reader). */
  sha256?: string | undefined;
}

/** A script file as the caller read it: its text, a binary program (not judged by content), or why not. */
export type ScriptFile =
  { text: string; sha256: string; file?: string | undefined } | { binary: true } | { error: string };

/** Approval settings of an `approve` rule (merged across matching rules: strictest wins). */
export interface ApprovalSettings {
  /** Approver groups allowed to approve; empty means any enrolled approver. */
  groups: string[];
  /**
   * Further group conditions, each of which an approver must also meet (in at least one group of
   * every list). Set when several matching rules name groups: their conditions are intersected,
   * never united (decision 0120).
   */
  alsoGroups?: string[][] | undefined;
  /** Distinct humans needed. */
  quorum: number;
  /** Lifetime of the grant once approved, seconds. */
  grantTtlSeconds: number;
  /** Uses of the grant (default 1). */
  grantUses: number;
  /** How long the request may wait for a decision, seconds. Expiry means deny. */
  timeoutSeconds: number;
  /** The approver must not be the human the agent acts for. */
  fourEyes: boolean;
  /** Channels to raise the request in (empty: all configured). */
  channels: string[];
  /** Scoped grants allowed up to these bounds (policy `max_uses`, `max_ttl`); absent: none. */
  maxUses?: number | undefined;
  maxTtlSeconds?: number | undefined;
  /** Each approval needs a fresh IdP login whose token names the request (level 3). */
  stepUp?: boolean | undefined;
  /**
   * Policy `escalate`: a request still open `afterSeconds` after creation may also be decided by
   * group `to` (src/request/transition.ts). Kept in a merge only when every matching rule escalates
   * to the same group (decision 1083).
   */
  escalate?: { afterSeconds: number; to: string } | undefined;
}

/** One simple command the parser found, after unwrapping wrappers. */
export interface SimpleCommand {
  /** Normalised program (basename, quotes/escapes removed), or undefined when unresolved. */
  program: string | undefined;
  /** The program word as written after normalisation (may be a path). */
  programPath: string | undefined;
  args: string[];
  /** Wrappers peeled off to reach it, outermost first (e.g. ["sudo", "bash -c"]). */
  via: string[];
  /** Leading VAR=value assignments. */
  assignments: Record<string, string>;
  /** Source text of this simple command (for display; may be redacted by the caller). */
  text: string;
}

export interface Unresolved {
  /** e.g. 'variable-program', 'eval', 'parse-error', 'pipe-into-shell', 'source-generated'. */
  kind: string;
  text: string;
  detail: string;
}

export interface RuleMatch {
  ruleId: string;
  effect: Effect;
  risk: Risk;
  description: string;
  /** The rule's impact text with matched arguments filled in. */
  impact: string | undefined;
  /** ISO 27001 Annex A controls the rule evidences, e.g. ["A.8.2", "A.8.32"]. */
  controls: string[];
  /** Index into Decision.commands of the simple command that matched. */
  commandIndex: number;
  /** Where the rule came from: file path and layer. */
  source: { file: string; layer: PolicyLayer };
  /** The rule held only through a word computed at run time ($VAR, $(…)): a possible match. */
  possible?: boolean | undefined;
  /** Enforced mode: the rule's credentials (the daemon's executor runs the command with them). */
  credentials?: string[] | undefined;
  /** Enforced mode: the rule lets previews that run the agent's configuration use its credentials. */
  preview?: 'with_credentials' | undefined;
}

export type PolicyLayer = 'default' | 'system' | 'user' | 'project' | 'explicit';

export interface Decision {
  effect: Effect;
  risk: Risk;
  /** Every matching rule, strictest first. */
  matches: RuleMatch[];
  commands: SimpleCommand[];
  unresolved: Unresolved[];
  /** Human/agent-readable reasons, one per line, strictest first. */
  reasons: string[];
  /** Present when effect is 'approve'. */
  approval: ApprovalSettings | undefined;
  /** sha256 hex of the compiled policy this decision was made under. */
  policyDigest: string;
  /** Files the line runs whose content was (or, unread, would have been) judged. */
  scripts?: ScriptRef[] | undefined;
}
