import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ReplayCache, signatureFor, signedHeaders, verifySignature } from '../../src/channels/signing.js';

const NOW = 1_800_000_000_000;
const TS = String(NOW / 1000);

describe('HMAC signing', () => {
  it('is HMAC-SHA256 over "timestamp.body", hex, with a v1= prefix', () => {
    const expected = 'v1=' + createHmac('sha256', 'k').update(`${TS}.{"a":1}`).digest('hex');
    expect(signatureFor('k', TS, '{"a":1}')).toBe(expected);
    expect(signedHeaders('k', '{"a":1}', NOW)).toEqual({ 'X-Guard-Timestamp': TS, 'X-Guard-Signature': expected });
  });

  it('verifies a good signature and refuses tampering, wrong keys, staleness and malformed headers', () => {
    const sig = signatureFor('k', TS, 'body');
    expect(verifySignature('k', TS, sig, 'body', NOW)).toEqual({ ok: true, signature: sig });
    expect(verifySignature('k', TS, sig, 'body!', NOW)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature('other', TS, sig, 'body', NOW)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature('k', TS, sig, 'body', NOW + 301_000)).toEqual({ ok: false, reason: 'stale' });
    expect(verifySignature('k', TS, sig, 'body', NOW - 301_000)).toEqual({ ok: false, reason: 'stale' });
    expect(verifySignature('k', TS, sig, 'body', NOW + 299_000).ok).toBe(true);
    expect(verifySignature('k', undefined, sig, 'body', NOW)).toEqual({ ok: false, reason: 'missing' });
    expect(verifySignature('k', '12ab', sig, 'body', NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifySignature('k', TS, sig.toUpperCase(), 'body', NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifySignature('k', TS, 'v0=' + sig.slice(3), 'body', NOW)).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('replay cache', () => {
  it('accepts a key once, forgets it after the window, and refuses when full instead of forgetting', () => {
    const cache = new ReplayCache(1000, 2);
    expect(cache.check('a', 0)).toBe('fresh');
    expect(cache.check('a', 500)).toBe('replay');
    expect(cache.check('b', 600)).toBe('fresh');
    expect(cache.check('c', 700)).toBe('full');
    expect(cache.check('c', 1_200)).toBe('fresh');
    expect(cache.check('a', 1_300)).toBe('full');
    expect(cache.check('a', 1_700)).toBe('fresh');
  });
});
