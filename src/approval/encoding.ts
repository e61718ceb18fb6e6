import { createHash } from 'node:crypto';

/** Strict base64 decode: refuses anything that does not re-encode to the same text. */
export function decodeBase64(text: string, bytes?: number): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  const buf = Buffer.from(text, 'base64');
  if (buf.toString('base64') !== text) return undefined;
  if (bytes !== undefined && buf.length !== bytes) return undefined;
  return buf;
}

/** sha256 hex of the raw public key (what humans compare; list shows the first 16 chars). */
export function publicKeyFingerprint(publicKey: string): string {
  const raw = decodeBase64(publicKey, 32);
  if (raw === undefined) throw new TypeError('public key is not base64 of 32 bytes');
  return createHash('sha256').update(raw).digest('hex');
}

/** Parse an ISO-8601 timestamp with an explicit zone; undefined when it is not one. */
export function parseTime(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
  const t = Date.parse(text);
  return Number.isFinite(t) ? t : undefined;
}

/** Copy of an object without its undefined-valued keys (canonical JSON refuses undefined). */
export function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
