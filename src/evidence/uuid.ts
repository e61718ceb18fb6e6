/** RFC 4122 version-5 (SHA-1, name-based) UUIDs: the same input always gives the same id. */
import { createHash } from 'node:crypto';

/** guard's namespace for evidence ids (a fixed random v4 UUID). */
export const EVIDENCE_NAMESPACE = '6f1c3a52-9d0e-4f4b-8a57-3c2b1e7d9a10';

export function uuidV5(name: string, namespace = EVIDENCE_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
