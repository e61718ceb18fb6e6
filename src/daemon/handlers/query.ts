/** Read-only and control messages: ping, list, show, wait, subscribe, grants, history, status, shutdown. */
import { grantUsable } from '../../approval/grants.js';
import { liveGrants } from '../channel-grants.js';
import { addWaiter, removeWaiter, type DaemonContext, type Waiter } from '../context.js';
import {
  PROTOCOL_VERSION,
  type DaemonStatus,
  type RequestDetail,
  type RequestPage,
  type WaitEvent,
} from '../messages.js';
import { isOpen, type StoredRequest } from '../record.js';
import { enforcedStatus } from '../enforced-status.js';
import { compareKeys, firstAfter, liveKey } from '../store.js';
import { mayRead, scopeOf, visibleRequest } from '../scope.js';
import { ReplyError, type Conn } from '../server.js';

/** Is this request something a human or agent still has to act on (open, or a usable grant)? */
export function isActive(r: StoredRequest, now: Date): boolean {
  if (isOpen(r)) return true;
  return r.state === 'approved' && r.grant !== undefined && grantUsable(r.grant, r.fingerprint, now).ok;
}

export function detail(r: StoredRequest): RequestDetail {
  return {
    view: r.view,
    fingerprint: r.fingerprint,
    grant:
      r.grant === undefined
        ? undefined
        : { usesLeft: r.grant.usesLeft, expiresAt: r.grant.expiresAt, revoked: r.grant.revoked },
    votes: r.votes.map((v) => ({ approver: v.approver, action: v.action, channel: v.channel, at: v.at })),
    ...(r.settings.stepUp === true ? { stepUp: true } : {}),
  };
}

export function handlePing(ctx: DaemonContext, conn: Conn, msg: { id: number }): void {
  conn.result(msg.id, { pong: true, pid: process.pid, version: ctx.version, protocol: PROTOCOL_VERSION });
}

/** Replies stay well under the frame limit: pages end at this many bytes of JSON. */
const PAGE_BYTES = 768 * 1024;

export function handleList(
  ctx: DaemonContext,
  conn: Conn,
  msg: { id: number; all: boolean; cursor?: string | undefined; limit?: number | undefined },
): void {
  const now = ctx.now();
  const scope = scopeOf(ctx, conn);
  // `all`: the 500 most recent, newest first; otherwise what is active, oldest first. A cursor is
  // the last key of the previous page: a request closing between pages shifts nothing.
  let rows: readonly StoredRequest[];
  let start = 0;
  if (msg.all) {
    rows = ctx.store
      .recent(500)
      .sort((a, b) => -compareKeys(liveKey(a), liveKey(b)))
      .filter((r) => msg.cursor === undefined || liveKey(r) < msg.cursor);
  } else {
    // kept in key order by the store: a page starts by binary search, never by re-sorting or
    // copying, so a page costs the same with 10 or 10,000 open requests before it
    rows = ctx.store.live();
    if (msg.cursor !== undefined) start = firstAfter(rows, msg.cursor);
  }
  const limit = msg.limit ?? 10_000;
  const page: RequestDetail[] = [];
  let bytes = 0;
  let next: string | undefined;
  let more = false;
  for (let i = start; i < rows.length; i++) {
    const r = rows[i]!;
    if (!mayRead(scope, r) || (!msg.all && !isActive(r, now))) continue;
    const d = detail(r);
    bytes += JSON.stringify(d).length + 1;
    if (page.length > 0 && (bytes > PAGE_BYTES || page.length >= limit)) {
      more = true;
      break;
    }
    page.push(d);
    next = liveKey(r);
  }
  conn.result(msg.id, { requests: page, next: more ? next : undefined } satisfies RequestPage);
}

export function handleShow(ctx: DaemonContext, conn: Conn, msg: { id: number; requestId: string }): void {
  conn.result(msg.id, detail(visibleRequest(ctx, conn, msg.requestId)));
}

/** `guard wait ID`: resolves approved (a grant is ready for a re-run) or with the final state. */
export function handleWait(
  ctx: DaemonContext,
  conn: Conn,
  msg: { id: number; requestId: string; timeoutSeconds?: number | undefined },
): void {
  const r = visibleRequest(ctx, conn, msg.requestId);
  const final = (
    x: StoredRequest,
  ): { state: string; reason: string; view: StoredRequest['view']; grant?: RequestDetail['grant'] } => ({
    state: x.state === 'approved' && !isActive(x, ctx.now()) ? 'used' : x.state,
    reason: x.view.decisionReason ?? x.state,
    view: x.view,
    grant: detail(x).grant,
  });
  if (!isOpen(r)) {
    conn.result(msg.id, final(r));
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const waiter: Waiter = {
    conn,
    holdsRequest: false,
    onChange(next) {
      if (isOpen(next)) {
        conn.event(msg.id, { event: 'update', view: next.view } satisfies WaitEvent);
        return;
      }
      if (timer !== undefined) clearTimeout(timer);
      removeWaiter(ctx, r.id, waiter);
      conn.result(msg.id, final(next));
    },
  };
  addWaiter(ctx, r.id, waiter);
  if (msg.timeoutSeconds !== undefined) {
    timer = setTimeout(() => {
      removeWaiter(ctx, r.id, waiter);
      conn.result(msg.id, {
        state: 'timeout',
        reason: `still ${ctx.store.get(r.id)?.state ?? 'unknown'} after ${msg.timeoutSeconds}s`,
        view: r.view,
      });
    }, msg.timeoutSeconds * 1000);
    conn.onClose(() => clearTimeout(timer));
  }
  conn.event(msg.id, { event: 'update', view: r.view } satisfies WaitEvent);
}

export function handleSubscribe(ctx: DaemonContext, conn: Conn, msg: { id: number }): void {
  const now = ctx.now();
  const scope = scopeOf(ctx, conn);
  const sub = { conn, re: msg.id };
  ctx.subscribers.add(sub);
  conn.onClose(() => ctx.subscribers.delete(sub));
  // the snapshot holds what fits in one frame; the rest follows as updates (the same view events)
  const views = ctx.store
    .live()
    .filter((r) => isActive(r, now) && mayRead(scope, r))
    .map((r) => r.view);
  let bytes = 0;
  let cut = views.length;
  for (const [i, v] of views.entries()) {
    bytes += JSON.stringify(v).length + 1;
    if (bytes > PAGE_BYTES) {
      cut = i;
      break;
    }
  }
  conn.event(msg.id, { event: 'snapshot', requests: views.slice(0, cut) });
  for (const view of views.slice(cut)) conn.event(msg.id, { event: 'update', view });
}

/**
 * `grants` (decision 1100): the live grants this connection may read, as the web page lists them
 * (`liveGrants`), each with its uses left, expiry, a session grant's scope and the extension its
 * rule allows. Cut at the page size (`more`), like the subscription's snapshot.
 */
export function handleGrants(ctx: DaemonContext, conn: Conn, msg: { id: number }): void {
  const scope = scopeOf(ctx, conn);
  const grants = [];
  let bytes = 0;
  let more = false;
  for (const { view, grant } of liveGrants(ctx, (r) => mayRead(scope, r))) {
    const g = {
      requestId: view.id,
      ...grant,
      ...(view.extendOffer === undefined ? {} : { extendOffer: view.extendOffer }),
    };
    bytes += JSON.stringify(g).length + 1;
    if (bytes > PAGE_BYTES) {
      more = true;
      break;
    }
    grants.push(g);
  }
  conn.result(msg.id, { grants, more });
}

/** Replies stay well under the frame limit: a page ends early and says `more`; ask again with sinceSeq. */
const HISTORY_PAGE_BYTES = 768 * 1024;

export function handleHistory(
  ctx: DaemonContext,
  conn: Conn,
  msg: { id: number; requestId?: string | undefined; sinceSeq?: number | undefined; limit?: number | undefined },
): void {
  // an agent reads the history of its own requests only, one request at a time
  if (scopeOf(ctx, conn).kind === 'agent') {
    if (msg.requestId === undefined)
      throw new ReplyError('refused', 'the ledger history is for approvers; ask for one of your own requests by id');
    visibleRequest(ctx, conn, msg.requestId);
  }
  const limit = msg.limit ?? 200;
  const all = ctx.ledger.read({ requestId: msg.requestId, sinceSeq: msg.sinceSeq, limit });
  const records: typeof all = [];
  let bytes = 0;
  for (const r of all) {
    bytes += JSON.stringify(r).length + 1;
    if (bytes > HISTORY_PAGE_BYTES && records.length > 0) break;
    records.push(r);
  }
  conn.result(msg.id, { records, more: records.length < all.length || all.length === limit });
}

export function handleStatus(ctx: DaemonContext, conn: Conn, msg: { id: number }): void {
  const now = ctx.now();
  const scope = scopeOf(ctx, conn);
  const live = ctx.store.live().filter((r) => mayRead(scope, r));
  const status: DaemonStatus = {
    pid: process.pid,
    version: ctx.version,
    protocol: PROTOCOL_VERSION,
    startedAt: ctx.startedAt,
    home: ctx.home,
    socket: ctx.socket,
    policy: ctx.policy.status(),
    requests: {
      pending: live.filter((r) => r.state === 'pending').length,
      needsInfo: live.filter((r) => r.state === 'needs_info').length,
      grants: live.filter((r) => r.state === 'approved' && isActive(r, now)).length,
    },
    channels: ctx.channels.map((c) => ({ name: c.name, ...safeStatus(c) })),
    approvers: approverCount(ctx),
    enforced: enforcedStatus(ctx),
  };
  conn.result(msg.id, status);
}

function approverCount(ctx: DaemonContext): DaemonStatus['approvers'] {
  try {
    return { enrolled: ctx.approvers().length };
  } catch (err) {
    return { enrolled: 0, error: (err as Error).message };
  }
}

function safeStatus(c: { status(): { ok: boolean; detail: string } }): { ok: boolean; detail: string } {
  try {
    return c.status();
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
}

export function handleShutdown(ctx: DaemonContext, conn: Conn, msg: { id: number }): void {
  // without peer credentials anyone who reaches a group-shared socket would be "the owner"
  if (!ctx.shutdownOverSocket)
    throw new ReplyError(
      'refused',
      'this daemon shares its socket with a group (hardened mode), so it cannot be stopped over the socket',
      `stop it as its own user or root with a signal: \`systemctl stop guardd\` or \`kill ${process.pid}\``,
    );
  conn.result(msg.id, { stopping: true, pid: process.pid });
  ctx.shutdown();
}
