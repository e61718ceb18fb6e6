/**
 * How an approver talks to the hub (`guard tui --hub`, decision 1049): each request carries the
 * approver's public key, the time, and the approver key's signature over a statement binding the
 * method, path, time and body. The hub accepts a key that some enrolled host distributed as one of
 * its approvers. Kept free of PostgreSQL so the TUI loads nothing heavy.
 */
import { createHash } from 'node:crypto';
import { verifyStatement } from '../approval/statement.js';

/** How far the approver's clock and the hub's may differ before a request is refused. */
export const APPROVER_SKEW_MS = 300_000;

export const HEADER_KEY = 'x-guard-approver-key';
export const HEADER_AT = 'x-guard-at';
export const HEADER_SIGNATURE = 'x-guard-signature';

interface RequestStatement {
  v: 1;
  purpose: 'guard-hub-approver-request';
  method: string;
  path: string;
  at: string;
  body: string;
}

function statement(method: string, path: string, at: string, body: string): RequestStatement {
  const digest = createHash('sha256').update(body).digest('hex');
  return { v: 1, purpose: 'guard-hub-approver-request', method, path, at, body: digest };
}

/** Headers for one request to the hub, signed by the approver's unlocked key. */
export function approverHeaders(
  key: { publicKey: string; signBytes(statement: object): string },
  method: string,
  path: string,
  body: string,
  now: number,
): Record<string, string> {
  const at = new Date(now).toISOString();
  return {
    [HEADER_KEY]: key.publicKey,
    [HEADER_AT]: at,
    [HEADER_SIGNATURE]: key.signBytes(statement(method, path, at, body)),
  };
}

/** The public key that signed this request, or why it is refused. */
export function checkApproverHeaders(
  headers: Record<string, string | string[] | undefined>,
  method: string,
  path: string,
  body: string,
  now: number,
): { publicKey: string } | { refused: string } {
  const key = headers[HEADER_KEY];
  const at = headers[HEADER_AT];
  const signature = headers[HEADER_SIGNATURE];
  if (typeof key !== 'string' || typeof at !== 'string' || typeof signature !== 'string')
    return { refused: 'an approver request must be signed (approver key, time, signature headers)' };
  const t = Date.parse(at);
  if (!Number.isFinite(t) || Math.abs(now - t) > APPROVER_SKEW_MS)
    return { refused: 'the request time is missing or too far from the hub clock' };
  if (!verifyStatement(statement(method, path, at, body), signature, key))
    return { refused: 'the approver signature does not verify' };
  return { publicKey: key };
}
