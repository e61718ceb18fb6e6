/**
 * What an IdP login is bound to, carried in the OpenID `nonce` (the provider copies it into the
 * ID token it signs). Domain-separated sha256 hex, so a nonce made for one purpose never passes
 * for another.
 */
import { createHash } from 'node:crypto';

function h(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const p of parts) hash.update(`${Buffer.byteLength(p)}:${p}\n`);
  return hash.digest('hex');
}

/** Enrolment (level 2): the token names the approver's new public key. */
export function enrolmentNonce(publicKey: string): string {
  return h('guard-idp-enrol-v1', publicKey);
}

/**
 * Step-up approval (level 3): the token names this request (id and fingerprint) and the exact
 * view the approver was shown (sha256 hex of its text).
 */
export function stepUpNonce(requestId: string, fingerprint: string, viewHash: string): string {
  return h('guard-idp-step-up-v1', requestId, fingerprint, viewHash);
}

/** sha256 hex of the view's text (what the nonce and the ledger record name). */
export function viewHash(viewText: string): string {
  return createHash('sha256').update(viewText).digest('hex');
}

/** sha256 hex of a token: the key under which a used token is remembered (replay). */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
