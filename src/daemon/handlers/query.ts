/** Read-only and control messages: ping, list, show, wait, subscribe, history, status, shutdown. */
import { grantUsable } from '../../approval/grants.js';
import { addWaiter, removeWaiter, type DaemonContext, type Waiter } from '../context.js';
import { PROTOCOL_VERSION, type DaemonStatus, type RequestDetail, type WaitEvent } from '../messages.js';
import { isOpen, type StoredRequest } from '../record.js';
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
  };
}

export function handlePing(ctx: DaemonContext, conn: Conn, msg: { id: number }): void {
  conn.result(msg.id, { pong: true, pid: process.pid, version: ctx.version, protocol: PROTOCOL_VERSION });
}

export function handleList(ctx: DaemonContext, conn: Conn, msg: { id: number; all: boolean }): void {
  const now = ctx.now();
  const rows = msg.all ? ctx.store.recent(500) : ctx.store.live().filter((r) => isActive(r, now));
  conn.result(msg.id, { requests: rows.map(detail) });
}

export function handleShow(ctx: DaemonContext, conn: Conn, msg: { id: number; requestId: string }): void {
  const r = ctx.store.get(msg.requestId);
  if (r === undefined)
    throw new ReplyError('not_found', `no request ${msg.requestId}`, 'list requests with `guard requests --all`');
  conn.result(msg.id, detail(r));
}

/** `guard wait ID`: resolves approved (a grant is ready for a re-run) or with the final state. */
export function handleWait(
  ctx: DaemonContext,
  conn: Conn,
  msg: { id: number; requestId: string; timeoutSeconds?: number | undefined },
): void {
  const r = ctx.store.get(msg.requestId);
  if (r === undefined) throw new ReplyError('not_found', `no request ${msg.requestId}`);
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
  const sub = { conn, re: msg.id };
  ctx.subscribers.add(sub);
  conn.onClose(() => ctx.subscribers.delete(sub));
  conn.event(msg.id, {
    event: 'snapshot',
    requests: ctx.store
      .live()
      .filter((r) => isActive(r, now))
      .map((r) => r.view),
  });
}

/** Replies stay well under the frame limit: a page ends early and says `more`; ask again with sinceSeq. */
const HISTORY_PAGE_BYTES = 768 * 1024;

export function handleHistory(
  ctx: DaemonContext,
  conn: Conn,
  msg: { id: number; requestId?: string | undefined; sinceSeq?: number | undefined; limit?: number | undefined },
): void {
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
  const live = ctx.store.live();
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
  };
  conn.result(msg.id, status);
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
