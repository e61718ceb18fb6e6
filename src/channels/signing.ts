/**
 * HMAC request signing shared by the webhook channel, its receivers and the HTTP listener.
 *
 * Signed string: `${timestamp}.${body}` (timestamp in Unix seconds, body the exact bytes sent).
 * GET requests (polls) have no body: their signed string is `${timestamp}.GET ${pathAndQuery}`.
 * Header: `X-Guard-Signature: v1=<hex HMAC-SHA256(secret, signed string)>`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'x-guard-timestamp';
export const SIGNATURE_HEADER = 'x-guard-signature';
/** Accepted clock difference between signer and verifier, seconds. */
export const REPLAY_WINDOW_SECONDS = 300;

export function signatureFor(secret: string, timestamp: string, body: string): string {
  return 'v1=' + createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

export function signedHeaders(secret: string, body: string, nowMs: number): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return { 'X-Guard-Timestamp': timestamp, 'X-Guard-Signature': signatureFor(secret, timestamp, body) };
}

export type VerifyResult =
  { ok: true; signature: string } | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

/** Constant-time verification of a signature plus the replay window. */
export function verifySignature(
  secret: string,
  timestamp: string | undefined,
  signature: string | undefined,
  body: string,
  nowMs: number,
  windowSeconds = REPLAY_WINDOW_SECONDS,
): VerifyResult {
  if (timestamp === undefined || signature === undefined) return { ok: false, reason: 'missing' };
  if (!/^\d{1,12}$/.test(timestamp) || !/^v1=[0-9a-f]{64}$/.test(signature)) return { ok: false, reason: 'malformed' };
  const skew = Math.abs(nowMs / 1000 - Number(timestamp));
  if (skew > windowSeconds) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(signatureFor(secret, timestamp, body), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'mismatch' };
  return { ok: true, signature };
}

/**
 * Remembers signatures seen inside the replay window. A signature covers timestamp and body, so a
 * second delivery of the same signature is a replay; a fresh one needs the secret. Bounded: when
 * full of unexpired entries it refuses (fail closed) instead of forgetting.
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly windowMs = REPLAY_WINDOW_SECONDS * 1000 * 2,
    private readonly capacity = 10_000,
  ) {}

  /** Returns 'fresh' and records the key, 'replay' when seen, 'full' when it cannot record. */
  check(key: string, nowMs: number): 'fresh' | 'replay' | 'full' {
    for (const [k, at] of this.seen) {
      if (nowMs - at <= this.windowMs) break;
      this.seen.delete(k);
    }
    if (this.seen.has(key)) return 'replay';
    if (this.seen.size >= this.capacity) return 'full';
    this.seen.set(key, nowMs);
    return 'fresh';
  }
}
