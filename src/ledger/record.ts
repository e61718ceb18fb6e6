/**
 * Record encoding: canonical JSON (RFC 8785) of {seq, ts, type, prev, payload}, stored and
 * exported as these exact bytes. A record's hash is its RFC 6962 leaf hash
 * SHA-256(0x00 || bytes), so each record is hashed once for both the chain and the tree.
 */
import { canonicalize, CanonicalError } from '../util/canonical.js';
import { LedgerValueError } from './errors.js';
import type { JsonValue, RecordType } from './types.js';

export const RECORD_TYPES: ReadonlySet<string> = new Set<RecordType>([
  'ledger_open',
  'request',
  'decision',
  'approval',
  'exec_start',
  'exec_end',
  'grant_revoked',
  'grant_extended',
  'expired',
  'cancelled',
  'policy_changed',
  'policy_error',
  'key_rotation',
  'recovery',
  'approval_refused',
  'channel_error',
  'approver_enrolled',
  'approver_enroll_refused',
  'approver_removed',
  'approver_updated',
  'approver_rotated',
  'approver_change_refused',
  'credential_changed',
  'credential_refused',
  'executor_start',
  'request_escalated',
  'request_reminder',
]);

/** Canonical text of a payload, or LedgerValueError (nothing is written for such a value). */
export function canonicalPayload(type: RecordType, payload: unknown): string {
  if (!RECORD_TYPES.has(type)) throw new LedgerValueError(`unknown ledger record type ${JSON.stringify(type)}`);
  try {
    return canonicalize(payload);
  } catch (err) {
    if (err instanceof CanonicalError) {
      throw new LedgerValueError(`ledger ${type} record refused: ${err.message}`, {
        hint: 'payloads must be plain JSON; wrap raw bytes as {"b64": "..."}',
        details: { path: err.path },
        cause: err,
      });
    }
    throw err;
  }
}

/**
 * The record's bytes, built from an already canonical payload. Keys in JCS order:
 * payload < prev < seq < ts < type.
 */
export function recordBytes(seq: number, ts: string, type: RecordType, prev: string, payloadText: string): Buffer {
  return Buffer.from(
    `{"payload":${payloadText},"prev":${JSON.stringify(prev)},"seq":${seq},"ts":${JSON.stringify(ts)},"type":${JSON.stringify(type)}}`,
    'utf8',
  );
}

/** `requestId` of a payload when it has one (indexed for `read({requestId})`). */
export function requestIdOf(payload: JsonValue): string | null {
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload)) {
    const id = payload['requestId'];
    if (typeof id === 'string') return id;
  }
  return null;
}
