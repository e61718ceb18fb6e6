/**
 * Grants: what an approval turns into. Bound to one request fingerprint, with an expiry and a use
 * count. Pure: the daemon stores them and calls these to decide and to consume.
 */
import type { ApprovalSettings } from '../policy/types.js';
import { FailClosedError } from '../errors.js';
import { parseTime } from './encoding.js';
import type { GrantScope } from './scope.js';

export interface Grant {
  requestId: string;
  fingerprint: string;
  expiresAt: string;
  usesLeft: number;
  revoked: boolean;
  /** A session grant: usable by other commands within this scope (src/approval/scope.ts). */
  scope?: GrantScope | undefined;
}

export type GrantRefusal = 'expired' | 'revoked' | 'used' | 'mismatch';

/** Revoked beats everything; a fingerprint that differs is never usable; then time; then uses. */
export function grantUsable(
  g: Grant,
  fingerprint: string,
  now: Date,
): { ok: true } | { ok: false; reason: GrantRefusal } {
  if (g.revoked !== false) return { ok: false, reason: 'revoked' };
  if (typeof g.fingerprint !== 'string' || g.fingerprint === '' || g.fingerprint !== fingerprint)
    return { ok: false, reason: 'mismatch' };
  const expires = parseTime(g.expiresAt);
  const t = now.getTime();
  if (expires === undefined || !Number.isFinite(t) || t >= expires) return { ok: false, reason: 'expired' };
  if (!Number.isSafeInteger(g.usesLeft) || g.usesLeft < 1) return { ok: false, reason: 'used' };
  return { ok: true };
}

/** The grant an approval yields (default: one use). */
export function makeGrant(
  requestId: string,
  fingerprint: string,
  settings: Pick<ApprovalSettings, 'grantTtlSeconds' | 'grantUses'>,
  approvedAt: Date,
): Grant {
  const ttl = Number.isFinite(settings.grantTtlSeconds) && settings.grantTtlSeconds > 0 ? settings.grantTtlSeconds : 0;
  const uses = Number.isSafeInteger(settings.grantUses) && settings.grantUses > 0 ? settings.grantUses : 1;
  return {
    requestId,
    fingerprint,
    expiresAt: new Date(approvedAt.getTime() + ttl * 1000).toISOString(),
    usesLeft: uses,
    revoked: false,
  };
}

/** One use taken. Throws when the grant is not usable: check first, consume in the same transaction. */
export function consumeGrant(g: Grant, fingerprint: string, now: Date): Grant {
  const u = grantUsable(g, fingerprint, now);
  if (!u.ok) throw new FailClosedError(`grant for ${g.requestId} is not usable: ${u.reason}`);
  return { ...g, usesLeft: g.usesLeft - 1 };
}

export function revokeGrant(g: Grant): Grant {
  return { ...g, revoked: true };
}
