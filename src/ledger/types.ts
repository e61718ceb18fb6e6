/**
 * The ledger's public surface for the rest of guard (the daemon is its only writer).
 * Payloads must be canonicalizable JSON (no undefined, NaN, lone surrogates, non-UTF-8 bytes —
 * wrap bytes as {"b64": "..."}); the ledger refuses anything else before writing.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type RecordType =
  | 'ledger_open'
  | 'request'
  | 'decision'
  | 'approval'
  | 'exec_start'
  | 'exec_end'
  | 'grant_revoked'
  | 'expired'
  | 'cancelled'
  | 'policy_changed'
  | 'policy_error'
  | 'key_rotation'
  | 'recovery'
  | 'approval_refused'
  | 'channel_error'
  | 'approver_enrolled'
  | 'approver_enroll_refused'
  | 'approver_removed'
  | 'approver_updated'
  | 'approver_rotated'
  | 'approver_change_refused'
  | 'credential_changed'
  | 'credential_refused'
  | 'executor_start'
  | 'request_escalated'
  | 'request_reminder'
  | 'grant_extended';

export interface LedgerRecord {
  seq: number;
  ts: string;
  type: RecordType;
  /** Hash of the previous record ('' for the first): hex SHA-256(0x00 || its canonical bytes), its RFC 6962 leaf hash. */
  prev: string;
  payload: JsonValue;
}

export interface AppendedRecord {
  seq: number;
  /** Hex SHA-256(0x00 || this record's canonical bytes): its RFC 6962 leaf hash, also the next record's `prev`. */
  hash: string;
}

/** What the daemon needs. Implemented by src/ledger (Ledger / group committer). */
export interface LedgerWriter {
  /** Durably append one record (committed and sealed with a signed checkpoint before resolving). */
  append(type: RecordType, payload: JsonValue): Promise<AppendedRecord>;
  /** Durably append several records in one transaction, in order. */
  appendMany(items: { type: RecordType; payload: JsonValue }[]): Promise<AppendedRecord[]>;
  close(): Promise<void>;
}
