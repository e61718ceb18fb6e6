import { ExitCode, FailClosedError, GuardError } from '../errors.js';

/** An append failed (disk full, corrupt database, lock timeout…): nothing partial was written. */
export class LedgerWriteError extends FailClosedError {}

/** The database failed `PRAGMA integrity_check` or its tip is inconsistent: appends are refused. */
export class LedgerCorruptError extends LedgerWriteError {}

/** A payload has no canonical JSON form (lone surrogate, NaN, undefined…): refused before writing. */
export class LedgerValueError extends LedgerWriteError {}

/** The signing key of the current epoch cannot be loaded, stored or deleted. */
export class LedgerKeyError extends LedgerWriteError {}

/** `guard ledger verify`: the ledger or bundle failed an integrity check (exit 1). */
export class VerifyFailedError extends GuardError {
  readonly exitCode = ExitCode.VERIFY_FAILED;
  readonly kind = 'verify_failed';
}

/** `guard ledger verify`: bad usage or unusable trust anchor (pinned key, state file) (exit 2). */
export class TrustAnchorError extends GuardError {
  readonly exitCode = ExitCode.TRUST_ANCHOR;
  readonly kind = 'trust_anchor';
}
