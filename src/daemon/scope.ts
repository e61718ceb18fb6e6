/**
 * What a connection may see and do, from the peer's kernel-verified uid (src/daemon/peer.ts):
 *
 * - owner: the daemon's own uid or root (or any peer of a single-user daemon, whose 0600 socket
 *   only its own user reaches) — everything, as before;
 * - approver: a user named as `osUser` by an enrolled approver record — reads every request;
 * - agent: anyone else — only requests it raised itself, and its requester is its own user name
 *   whatever the message claims.
 */
import type { Requester } from '../policy/types.js';
import type { DaemonContext } from './context.js';
import type { StoredRequest } from './record.js';
import { ReplyError, type Conn } from './server.js';

export type Scope =
  { kind: 'owner'; uid: number | undefined } | { kind: 'approver' | 'agent'; uid: number; user: string };

export function scopeOf(ctx: DaemonContext, conn: Conn): Scope {
  const p = conn.peer;
  if (p === undefined || p.uid === 0 || p.uid === ctx.ownerUid) return { kind: 'owner', uid: p?.uid };
  const approver = ctx.approvers().some((a) => a.osUser === p.user);
  return { kind: approver ? 'approver' : 'agent', uid: p.uid, user: p.user };
}

/** The requester as recorded: the claimed one, its user replaced by the verified one for non-owners. */
export function verifiedRequester(scope: Scope, claimed: Requester): Requester {
  if (scope.kind === 'owner' || claimed.user === scope.user) return claimed;
  return { ...claimed, user: scope.user };
}

/** The verified peer, for the ledger (absent when the kernel did not say). */
export function peerRecord(conn: Conn): { peer: { uid: number; user: string } } | Record<string, never> {
  return conn.peer === undefined ? {} : { peer: { uid: conn.peer.uid, user: conn.peer.user } };
}

export function mayRead(scope: Scope, r: StoredRequest): boolean {
  return scope.kind !== 'agent' || r.requester.user === scope.user;
}

/** The request, if this connection may see it; otherwise the same answer as for no request. */
export function visibleRequest(ctx: DaemonContext, conn: Conn, id: string): StoredRequest {
  const r = ctx.store.get(id);
  if (r === undefined || !mayRead(scopeOf(ctx, conn), r))
    throw new ReplyError('not_found', `no request ${id}`, 'list requests with `guard requests --all`');
  return r;
}
