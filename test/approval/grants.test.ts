import { describe, expect, it } from 'vitest';
import { consumeGrant, grantUsable, makeGrant, revokeGrant, type Grant } from '../../src/approval/index.js';
import { FailClosedError } from '../../src/errors.js';

const FP = 'a'.repeat(64);
const t0 = new Date('2026-03-01T12:00:00.000Z');
const later = (s: number) => new Date(t0.getTime() + s * 1000);

describe('grants', () => {
  it('an approval yields a one-use grant with the rule TTL', () => {
    const g = makeGrant('r1', FP, { grantTtlSeconds: 600, grantUses: 1 }, t0);
    expect(g).toEqual({
      requestId: 'r1',
      fingerprint: FP,
      expiresAt: '2026-03-01T12:10:00.000Z',
      usesLeft: 1,
      revoked: false,
    });
    expect(makeGrant('r1', FP, { grantTtlSeconds: 60, grantUses: 0 }, t0).usesLeft).toBe(1);
  });

  it('expires at expiresAt (inclusive), and an unparseable expiry is expired', () => {
    const g = makeGrant('r1', FP, { grantTtlSeconds: 600, grantUses: 1 }, t0);
    expect(grantUsable(g, FP, later(599))).toEqual({ ok: true });
    expect(grantUsable(g, FP, later(600))).toEqual({ ok: false, reason: 'expired' });
    expect(grantUsable({ ...g, expiresAt: 'never' }, FP, t0)).toEqual({ ok: false, reason: 'expired' });
    expect(grantUsable(g, FP, new Date(NaN))).toEqual({ ok: false, reason: 'expired' });
    expect(grantUsable(makeGrant('r1', FP, { grantTtlSeconds: -5, grantUses: 1 }, t0), FP, t0)).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('counts uses down to zero', () => {
    let g: Grant = makeGrant('r1', FP, { grantTtlSeconds: 600, grantUses: 2 }, t0);
    g = consumeGrant(g, FP, t0);
    expect(grantUsable(g, FP, t0)).toEqual({ ok: true });
    g = consumeGrant(g, FP, t0);
    expect(grantUsable(g, FP, t0)).toEqual({ ok: false, reason: 'used' });
    expect(() => consumeGrant(g, FP, t0)).toThrow(FailClosedError);
    expect(grantUsable({ ...g, usesLeft: NaN }, FP, t0)).toEqual({ ok: false, reason: 'used' });
  });

  it('revoked is never usable, whatever else holds', () => {
    const g = revokeGrant(makeGrant('r1', FP, { grantTtlSeconds: 600, grantUses: 5 }, t0));
    expect(grantUsable(g, FP, t0)).toEqual({ ok: false, reason: 'revoked' });
    expect(grantUsable({ ...g, revoked: 'no' as unknown as boolean }, FP, t0)).toEqual({
      ok: false,
      reason: 'revoked',
    });
  });

  it('a different fingerprint never matches', () => {
    const g = makeGrant('r1', FP, { grantTtlSeconds: 600, grantUses: 1 }, t0);
    expect(grantUsable(g, 'b'.repeat(64), t0)).toEqual({ ok: false, reason: 'mismatch' });
    expect(grantUsable({ ...g, fingerprint: '' }, '', t0)).toEqual({ ok: false, reason: 'mismatch' });
  });
});
