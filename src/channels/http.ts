/** Small HTTP helpers shared by the webhook, Teams and listener code. */
import type { IncomingMessage } from 'node:http';

export const MAX_BODY_BYTES = 64 * 1024;
export const REQUEST_TIMEOUT_MS = 15_000;

export class BodyTooLargeError extends Error {}

/** Reads a request body up to `limit` bytes; rejects with BodyTooLargeError beyond it. */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop buffering; the caller answers 413 and closes the connection.
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLargeError(`body larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Reads a fetch response body, refusing more than `limit` bytes. */
export async function readResponse(res: Response, limit = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > limit) throw new BodyTooLargeError(`response larger than ${limit} bytes`);
  const buf = Buffer.from(await res.arrayBuffer());
  if (buf.length > limit) throw new BodyTooLargeError(`response larger than ${limit} bytes`);
  return buf.toString('utf8');
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function isLoopback(url: URL): boolean {
  return LOOPBACK.has(url.hostname) || url.hostname.startsWith('127.');
}

/** https only, except loopback addresses (tests, local relays) or an explicit opt-in. */
export function checkUrl(raw: string, allowInsecure: boolean): URL {
  const url = new URL(raw);
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && (allowInsecure || isLoopback(url))) return url;
  throw new Error(
    `${url.protocol}//${url.host} is not allowed: use https (or allow_insecure_http: true for a trusted network)`,
  );
}

/** A URL safe to print: origin and path only (query strings often carry signatures). */
export function displayUrl(url: URL): string {
  return `${url.origin}${url.pathname.length > 40 ? url.pathname.slice(0, 40) + '…' : url.pathname}`;
}

export function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${what} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${what} is not a JSON object`);
  return value as Record<string, unknown>;
}
