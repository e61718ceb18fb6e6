/**
 * What the daemon keeps about one request. Only redacted material and the fingerprint are kept:
 * the real argv lives in the client that will run it and never touches disk.
 */
import type { Grant } from '../approval/grants.js';
import type { Vote } from '../approval/types.js';
import type { RequestState, RequestView } from '../channels/types.js';
import type { ApprovalSettings, Requester } from '../policy/types.js';

export interface StoredRequest {
  id: string;
  state: RequestState;
  fingerprint: string;
  createdAt: string;
  /** Decision deadline: a request still open then expires (expiry means deny). */
  expiresAt: string;
  /** Created with --no-wait: survives its client going away. */
  detached: boolean;
  view: RequestView;
  settings: ApprovalSettings;
  requester: Requester;
  votes: Vote[];
  /** Time of the requester's last reply to a question. */
  repliedAt?: string | undefined;
  grant?: Grant | undefined;
  policyDigest: string;
  updatedAt: string;
}

export const OPEN_STATES: ReadonlySet<string> = new Set(['pending', 'needs_info']);

export function isOpen(r: StoredRequest): boolean {
  return OPEN_STATES.has(r.state);
}
