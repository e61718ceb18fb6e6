/**
 * One error hierarchy and one exit-code table. Commands throw; only src/main.ts exits.
 *
 * A wrapped command's own exit status (0..255) is passed through unchanged, so guard's own
 * codes necessarily overlap with codes some program might use. Every guard-made exit is
 * therefore also announced on stderr with a `guard:` prefix (and as JSON with --json-errors).
 */
export const ExitCode = {
  OK: 0,
  /** `guard ledger verify`: the ledger or bundle failed verification (the reason names the record). */
  VERIFY_FAILED: 1,
  /** `guard ledger verify`: usage or trust-anchor error (no pinned key, unreadable state file). */
  TRUST_ANCHOR: 2,
  /** guard's own usage error: unknown flag, missing argument, bad value (EX_USAGE). */
  USAGE: 64,
  /** guard failed closed: internal error, policy/ledger/daemon unavailable (EX_SOFTWARE). */
  INTERNAL: 70,
  /** --no-wait: the request is pending approval; its id was printed (EX_TEMPFAIL). */
  PENDING: 75,
  /** Approval was not granted: denied by a human, expired, revoked or cancelled. */
  NOT_APPROVED: 76,
  /** Refused by policy before anything ran (EX_NOPERM). */
  DENIED: 77,
  /** The program exists but could not be executed (permission, format). */
  NOT_EXECUTABLE: 126,
  /** The program was not found. */
  NOT_FOUND: 127,
  /** Add the signal number: a child killed by signal N gives 128+N. */
  SIGNAL_BASE: 128,
  /** guard's own output lost its reader (`guard requests | head -1`): 128 + SIGPIPE, as any command. */
  CLOSED_PIPE: 141,
} as const;

/** What each exit code means, in the order `guard exit-codes` and `guard --help` list them. */
const EXIT_CODE_MEANINGS: readonly [code: string, meaning: string][] = [
  ['0..255', "the wrapped command's own exit status, passed through unchanged"],
  [`${ExitCode.VERIFY_FAILED}`, '`guard ledger verify`: integrity failure (the reason names the record)'],
  [`${ExitCode.TRUST_ANCHOR}`, '`guard ledger verify`: usage or trust-anchor error'],
  [`${ExitCode.USAGE}`, 'guard usage error (unknown flag, missing argument)'],
  [`${ExitCode.INTERNAL}`, 'guard failed closed (policy, ledger or daemon unavailable; internal error)'],
  [`${ExitCode.PENDING}`, 'pending approval (--no-wait); the request id is printed'],
  [`${ExitCode.NOT_APPROVED}`, 'not approved: a human denied it, or it expired, was revoked or cancelled'],
  [`${ExitCode.DENIED}`, 'denied by policy; nothing ran'],
  [`${ExitCode.NOT_EXECUTABLE}`, 'the program exists but cannot be executed'],
  [`${ExitCode.NOT_FOUND}`, 'the program was not found'],
  [`${ExitCode.SIGNAL_BASE}+N`, 'the command was killed by signal N'],
  [`${ExitCode.CLOSED_PIPE}`, "guard's own output lost its reader (`guard requests | head -1`); nothing is announced"],
];

/** The exit-code table as `guard exit-codes` prints it, generated from ExitCode. */
export function exitCodesHelp(): string {
  const rows = EXIT_CODE_MEANINGS.map(([code, meaning]) => `  ${code.padEnd(8)}${meaning}`);
  return [
    'Exit codes',
    ...rows,
    'Every other exit made by guard itself is announced on stderr with a "guard:" prefix.',
  ].join('\n');
}

/** The message of anything thrown (an Error's message, else its string form). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** An error as every guard command prints it: `guard: message`, then `guard: hint` when there is one. */
export function errorLines(err: unknown): string {
  const d = describeError(err);
  return d.hint === undefined ? `guard: ${d.message}` : `guard: ${d.message}\nguard: ${d.hint}`;
}

/** Base class: every error guard raises on purpose carries an exit code and a stable kind. */
export abstract class GuardError extends Error {
  abstract readonly exitCode: number;
  abstract readonly kind: string;
  /** Extra machine-readable fields for --json-errors output. */
  readonly details: Record<string, unknown>;
  /** What the reader should do next, printed after the message. */
  readonly hint: string | undefined;

  constructor(message: string, opts: { hint?: string; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.hint = opts.hint;
    this.details = opts.details ?? {};
  }
}

/** The user (or agent) called guard wrongly. */
export class UsageError extends GuardError {
  readonly exitCode = ExitCode.USAGE;
  readonly kind = 'usage';
}

/** guard could not do its job safely and refused to run anything. */
export class FailClosedError extends GuardError {
  readonly exitCode = ExitCode.INTERNAL;
  readonly kind = 'fail_closed';
}

/** Policy refused the command. */
export class DeniedError extends GuardError {
  readonly exitCode = ExitCode.DENIED;
  readonly kind = 'denied';
}

/** The command waits for approval (--no-wait) — not a failure of guard, but not a run either. */
export class PendingError extends GuardError {
  readonly exitCode = ExitCode.PENDING;
  readonly kind = 'pending';
}

/** A human denied, or the request expired / was revoked / cancelled. */
export class NotApprovedError extends GuardError {
  readonly exitCode = ExitCode.NOT_APPROVED;
  readonly kind = 'not_approved';
}

/** The program to run does not exist. */
export class CommandNotFoundError extends GuardError {
  readonly exitCode = ExitCode.NOT_FOUND;
  readonly kind = 'command_not_found';
}

/** The program exists but cannot be executed. */
export class NotExecutableError extends GuardError {
  readonly exitCode = ExitCode.NOT_EXECUTABLE;
  readonly kind = 'not_executable';
}

/** Turn anything thrown into an exit code and the text to print. */
export function describeError(err: unknown): {
  exitCode: number;
  kind: string;
  message: string;
  hint?: string;
  details: Record<string, unknown>;
} {
  if (err instanceof GuardError) {
    return {
      exitCode: err.exitCode,
      kind: err.kind,
      message: err.message,
      ...(err.hint === undefined ? {} : { hint: err.hint }),
      details: err.details,
    };
  }
  const message = messageOf(err);
  return { exitCode: ExitCode.INTERNAL, kind: 'internal', message: `internal error: ${message}`, details: {} };
}
