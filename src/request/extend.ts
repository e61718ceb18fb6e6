/**
 * The request core's side of a grant extension (decision 1087): a checked, signed extension
 * replaces the grant's uses and expiry and writes `grant_extended`; anything else is a refusal the
 * host records. Pure.
 */
import { checkExtension, grantState, type SignedExtension } from '../approval/extend.js';
import type { ApproverRecord } from '../approval/types.js';
import type { JsonValue } from '../ledger/types.js';
import { redactText } from '../redact/index.js';
import { refusal, Refused, type Refusal } from './refusal.js';
import type { LedgerItem, StoredRequest } from './state.js';

const CODES = {
  malformed: Refused.Malformed,
  'unknown-approver': Refused.UnknownApprover,
  'bad-signature': Refused.BadSignature,
  stale: Refused.Stale,
  'grant-refused': Refused.ExtendRefused,
} as const;

export function extendGrant(
  r: StoredRequest,
  signed: unknown,
  now: Date,
  approvers: ApproverRecord[],
): { next: StoredRequest; records: LedgerItem[] } | Refusal {
  const c = checkExtension(signed, r, approvers, now);
  if (!c.ok) return refusal(CODES[c.code], c.reason);
  const s = signed as SignedExtension;
  const payload: Record<string, JsonValue> = {
    requestId: r.id,
    approver: c.approver.name,
    key: c.approver.fingerprint,
    signature: s.signature,
    at: s.at,
    from: grantState(r.grant!),
    to: grantState(c.grant),
    ...(s.reason === undefined ? {} : { reason: redactText(s.reason).value }),
  };
  return { next: { ...r, grant: c.grant }, records: [{ type: 'grant_extended', payload }] };
}
