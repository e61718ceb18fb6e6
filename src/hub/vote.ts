/**
 * Channel votes relayed by a hub: the hub signs each one with its vote key (Ed25519 over the
 * canonical JSON of the body, domain-separated); the daemon checks the signature against the key
 * its own config pins, and that the vote names this host, before the usual channel rules apply.
 * Kept free of PostgreSQL so the daemon side loads nothing heavy.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalBytes } from '../util/canonical.js';
import type { SignedDecision } from '../approval/types.js';

export interface VoteBody {
  /**
   * 2 exactly when the vote carries a `scope` (decision 1090), 3 exactly when it extends or revokes a
   * grant (decision 1103); each signed under its own domain.
   */
  v: 1 | 2 | 3;
  /** The hub's id of this vote (unique, increasing). */
  vote: string;
  host: string;
  requestId: string;
  action: 'approve' | 'deny' | 'ask' | 'extend' | 'revoke';
  identity: { channel: string; id: string; display?: string | undefined; verifiedBy?: string | undefined };
  reason?: string | undefined;
  question?: string | undefined;
  at: string;
  /**
   * A decision signed by the approver's own key (`guard tui --hub`, decision 1049): the daemon
   * checks it as it checks a local `guard approve`; the hub only relays it.
   */
  signed?: SignedDecision | undefined;
  /**
   * The scoped grant chosen on the hub's Slack or web page, as the surface's token
   * (src/channels/scope-choice.ts): the daemon rebuilds the grant against its own request and checks
   * it against the rule's bounds. Only in a `v: 2` body (decision 1090).
   */
  scope?: string | undefined;
  /**
   * An extension (`action: "extend"`, only in a `v: 3` body): the grant as the hub's surface showed it
   * and as it should become. The daemon applies it as its own Slack's Extend click (compare-and-set,
   * bounds, eligibility; decision 1091).
   */
  from?: unknown;
  to?: unknown;
}

/** The actions on an approved grant: a v3 body carries exactly these, and no other body does. */
export const GRANT_ACTIONS: readonly string[] = ['extend', 'revoke'];

/**
 * A vote with a scope is signed under the v2 domain, so a daemon that predates the field (and
 * verifies every vote under v1) refuses it as unsigned instead of counting it as "once" (decision 1090).
 * An extension or revocation is v3 for the same reason: a daemon that predates it refuses it (decision 1103).
 */
const DOMAINS: Record<number, Buffer> = {
  1: Buffer.from('guard-hub-vote-v1\n'),
  2: Buffer.from('guard-hub-vote-v2\n'),
  3: Buffer.from('guard-hub-vote-v3\n'),
};
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The version a body must carry: 3 for a grant action, 2 for a scope, else 1. */
export function voteVersion(body: Pick<VoteBody, 'action' | 'scope'>): 1 | 2 | 3 {
  return GRANT_ACTIONS.includes(body.action) ? 3 : body.scope === undefined ? 1 : 2;
}

/**
 * Only the shapes the hub signs: v2 exactly with a scope, v3 exactly for a grant action (with `from`
 * and `to` exactly for an extension, never with a scope, a question or a relayed signed decision).
 */
function wellFormed(body: VoteBody): boolean {
  if (body.v !== voteVersion(body)) return false;
  const grantAction = body.v === 3;
  if (!grantAction) return body.from === undefined && body.to === undefined;
  const extend = body.action === 'extend';
  return (
    (body.from !== undefined) === extend &&
    (body.to !== undefined) === extend &&
    body.scope === undefined &&
    body.signed === undefined &&
    body.question === undefined
  );
}

function message(body: VoteBody): Buffer {
  const domain = DOMAINS[body.v];
  // a body of another shape (a scope under v1, a grant action under v1 or v2…) is not one the hub signs
  if (domain === undefined || !wellFormed(body)) throw new Error('malformed vote body');
  return Buffer.concat([domain, canonicalBytes(JSON.parse(JSON.stringify(body)))]);
}

/** `ed25519:<base64 raw public key>` — the form written in the daemon's `hub.vote_key`. */
export function formatVoteKey(pub: KeyObject): string {
  const der = pub.export({ type: 'spki', format: 'der' });
  return `ed25519:${der.subarray(ED25519_SPKI_PREFIX.length).toString('base64')}`;
}

export function parseVoteKey(text: string): KeyObject {
  const m = /^ed25519:([A-Za-z0-9+/]{43}=)$/.exec(text.trim());
  if (m === null) throw new Error('a vote key looks like ed25519:<44 base64 characters>');
  const raw = Buffer.from(m[1]!, 'base64');
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

export function newVoteKeyPem(): { privatePem: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: formatVoteKey(publicKey),
  };
}

export function signVote(body: VoteBody, privatePem: string): string {
  return sign(null, message(body), createPrivateKey(privatePem)).toString('base64');
}

export function voteSignatureValid(body: VoteBody, signature: string, key: KeyObject): boolean {
  try {
    return verify(null, message(body), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
