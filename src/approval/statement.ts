import { createPublicKey, verify } from 'node:crypto';
import { canonicalBytes } from '../util/canonical.js';
import { decodeBase64, withoutUndefined } from './encoding.js';
import type { DecisionStatement, EndorsementStatement } from './types.js';

/** Exactly the signed fields of a decision, undefined ones dropped (extra keys never get signed). */
export function decisionStatement(d: DecisionStatement): DecisionStatement {
  const { v, requestId, fingerprint, action, reason, question, at, approver, grant, preview } = d;
  const g = grant === undefined ? undefined : withoutUndefined({ ...grant });
  return withoutUndefined({ v, requestId, fingerprint, action, reason, question, at, approver, grant: g, preview });
}

/** Exactly the signed fields of an endorsement. */
export function endorsementStatement(e: EndorsementStatement): EndorsementStatement {
  const { v, kind, name, groups, publicKey, osUser, slackUserId, email, endorser, at } = e;
  return withoutUndefined({ v, kind, name, groups: [...groups], publicKey, osUser, slackUserId, email, endorser, at });
}

/** Ed25519 check of a base64 signature over the canonical bytes of `statement`. Never throws. */
export function verifyStatement(statement: object, signature: string, publicKey: string): boolean {
  const sig = decodeBase64(signature, 64);
  const raw = decodeBase64(publicKey, 32);
  if (sig === undefined || raw === undefined) return false;
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
    return verify(null, canonicalBytes(statement), key, sig);
  } catch {
    return false;
  }
}
