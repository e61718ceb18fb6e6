/**
 * The socket server: one FrameReader per connection, every message validated against its
 * schema, then dispatched to the handler for its type. A malformed frame or message gets an
 * error frame and the connection is closed; the daemon itself never goes down for a client.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { GuardError, messageOf } from '../errors.js';
import { encodeFrame, FrameError, FrameReader, MAX_FRAME_BYTES } from './framing.js';
import type { ConnectionLimits } from './limits.js';
import type { ClientMessage, ClientType, DaemonMessage, ErrorCode } from './messages.js';
import type { Peer } from './peer.js';
import { parseClientMessage } from './schemas.js';

/** A handler's view of one client connection. */
export interface Conn {
  readonly id: number;
  readonly closed: boolean;
  /** The peer's credentials from the kernel (SO_PEERCRED); undefined when they cannot be read. */
  readonly peer: Peer | undefined;
  result(re: number, data: unknown): void;
  event(re: number, data: unknown): void;
  error(re: number, code: ErrorCode, message: string, hint?: string): void;
  /** Called once when the connection goes away (client exit, crash or protocol error). */
  onClose(listener: () => void): void;
  end(): void;
  /**
   * Stop reading messages and hand over the socket (an executed command's stdio, decision 1027);
   * the server forgets the connection. After this call the caller owns the socket.
   */
  detach(): Socket;
}

export type Handlers = {
  [K in ClientType]: (conn: Conn, msg: Extract<ClientMessage, { type: K }>) => Promise<void> | void;
};

/** A handler may throw ReplyError to answer with a specific error code. */
export class ReplyError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export interface ServerOptions {
  handlers: Handlers;
  onError(err: unknown, context: string): void;
  /** Idle, partial-frame and buffering bounds (src/daemon/limits.ts); unbounded in time when absent. */
  limits?: Partial<ConnectionLimits> | undefined;
  /** Read the peer's credentials of an accepted socket (src/daemon/peer.ts). */
  peerOf?: ((socket: Socket) => Peer | undefined) | undefined;
  /** Refuse a connection whose peer cannot be read (a socket shared with other users). */
  requirePeer?: boolean | undefined;
}

/**
 * Work in progress on a connection, read from the protocol itself: a message not yet answered
 * (a subscription never is), an exec still waiting for its decision, a command told to run whose
 * exec_end has not arrived. A connection with none of these is idle.
 */
class Engagement {
  private readonly open = new Map<number, ClientType>();
  private running = 0;

  get busy(): boolean {
    return this.open.size > 0 || this.running > 0;
  }

  received(msg: ClientMessage): void {
    if (msg.type === 'exec_end') this.running = Math.max(0, this.running - 1);
    this.open.set(msg.id, msg.type);
  }

  sent(msg: DaemonMessage): void {
    const type = this.open.get(msg.re);
    if (type === undefined) return;
    const data = (msg.type === 'error' ? {} : msg.data) as { outcome?: unknown; event?: unknown } | null;
    if (data?.outcome === 'run' || data?.event === 'run') this.running++;
    const waiting = type === 'exec' && msg.type === 'result' && data?.outcome === 'pending';
    const execDone = type === 'exec' && msg.type === 'event' && (data?.event === 'run' || data?.event === 'closed');
    if ((msg.type !== 'event' && !waiting) || execDone) this.open.delete(msg.re);
  }
}

class Connection implements Conn {
  closed = false;
  private readonly listeners: (() => void)[] = [];
  readonly work = new Engagement();
  /** When the last complete message arrived or was sent (or the connection opened). */
  lastActive = Date.now();
  /** When the frame now being received started; undefined between frames. */
  partialSince: number | undefined;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    readonly peer: Peer | undefined,
  ) {
    socket.once('close', () => {
      this.closed = true;
      for (const l of this.listeners.splice(0)) l();
    });
  }

  private write(msg: DaemonMessage): void {
    if (this.closed || this.socket.destroyed) return;
    this.work.sent(msg);
    this.lastActive = Date.now();
    let frame: Buffer;
    try {
      frame = encodeFrame(msg);
    } catch {
      frame = encodeFrame({ re: msg.re, type: 'error', code: 'internal', message: 'reply too large' });
    }
    this.socket.write(frame);
  }

  result(re: number, data: unknown): void {
    this.write({ re, type: 'result', data });
  }

  event(re: number, data: unknown): void {
    this.write({ re, type: 'event', data });
  }

  error(re: number, code: ErrorCode, message: string, hint?: string): void {
    this.write({ re, type: 'error', code, message, ...(hint === undefined ? {} : { hint }) });
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.listeners.push(listener);
  }

  detach(): Socket {
    this.socket.removeAllListeners('data');
    this.socket.pause();
    this.detached?.();
    return this.socket;
  }

  /** Set by the server: forget this connection (its limits and buffered-byte accounting). */
  detached: (() => void) | undefined;

  end(): void {
    this.socket.end();
    // a client that never reads must not keep the socket alive
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }
}

export interface DaemonServer {
  server: Server;
  /** Destroy every open connection (shutdown). */
  closeAll: () => void;
}

export function createDaemonServer(opts: ServerOptions): DaemonServer {
  let nextConn = 1;
  const sockets = new Set<Socket>();
  const live = new Map<Connection, { socket: Socket; reader: FrameReader }>();
  const limits = opts.limits ?? {};
  let buffered = 0;
  const drop = (c: Connection): void => {
    const entry = live.get(c);
    if (entry === undefined) return;
    buffered -= entry.reader.pending;
    live.delete(c);
    entry.socket.destroy();
  };
  /** The idle connection that has waited longest, to make room for a new one. */
  const longestIdle = (): Connection | undefined => {
    let best: Connection | undefined;
    for (const c of live.keys()) if (!c.work.busy && (best === undefined || c.lastActive < best.lastActive)) best = c;
    return best;
  };
  /** Drop stalled partial frames, oldest first, until the buffered bytes are within the bound. */
  const shedBuffered = (max: number, keep: Connection): void => {
    const partial = [...live.keys()]
      .filter((c) => c !== keep && c.partialSince !== undefined)
      .sort((a, b) => a.partialSince! - b.partialSince!);
    for (const c of partial) {
      if (buffered <= max) return;
      drop(c);
    }
    if (buffered > max) drop(keep);
  };
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const conn = new Connection(nextConn++, socket, opts.peerOf?.(socket));
    const reader = new FrameReader(MAX_FRAME_BYTES);
    if (conn.peer === undefined && opts.requirePeer === true) {
      conn.error(0, 'fail_closed', 'the daemon cannot tell which user is connecting (SO_PEERCRED); refused');
      conn.end();
      return;
    }
    if (limits.maxConnections !== undefined && live.size >= limits.maxConnections) {
      const victim = longestIdle();
      if (victim === undefined) {
        socket.destroy(); // every connection has work in progress: refuse the newcomer
        return;
      }
      drop(victim);
    }
    live.set(conn, { socket, reader });
    conn.detached = () => {
      buffered -= reader.pending;
      live.delete(conn);
      clearInterval(timer);
    };
    socket.once('close', () => {
      if (live.has(conn)) {
        buffered -= reader.pending;
        live.delete(conn);
      }
    });
    const timer = watchdog(conn, limits, () => drop(conn));
    socket.once('close', () => clearInterval(timer));
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      if (conn.closed) return;
      let values: unknown[];
      const before = reader.pending;
      try {
        values = reader.push(chunk);
        buffered += reader.pending - before;
        conn.partialSince = reader.pending === 0 ? undefined : (conn.partialSince ?? Date.now());
        if (values.length > 0) conn.lastActive = Date.now();
        if (limits.maxBufferedBytes !== undefined && buffered > limits.maxBufferedBytes)
          shedBuffered(limits.maxBufferedBytes, conn);
        if (!live.has(conn)) return;
      } catch (err) {
        const code = err instanceof FrameError && err.code === 'oversized' ? 'oversized frame' : 'malformed frame';
        conn.error(0, 'bad_request', `${code}: ${(err as Error).message}; closing the connection`);
        socket.removeAllListeners('data');
        conn.end();
        return;
      }
      for (const value of values) {
        const parsed = parseClientMessage(value);
        if (!parsed.ok) {
          conn.error(parsed.id ?? 0, 'bad_request', `${parsed.error}; closing the connection`);
          socket.removeAllListeners('data');
          conn.end();
          return;
        }
        conn.work.received(parsed.message);
        dispatch(conn, parsed.message, opts);
      }
    });
  });
  return {
    server,
    closeAll: () => {
      for (const s of sockets) s.destroy();
    },
  };
}

/**
 * One timer per connection, re-armed on each firing: closes the connection when it has been idle
 * (nothing in progress) for idleMs, or has held an incomplete frame for partialFrameMs.
 */
function watchdog(conn: Connection, limits: Partial<ConnectionLimits>, close: () => void): NodeJS.Timeout | undefined {
  const { idleMs, partialFrameMs } = limits;
  if (idleMs === undefined && partialFrameMs === undefined) return undefined;
  const period = Math.max(10, Math.min(idleMs ?? Infinity, partialFrameMs ?? Infinity) / 4);
  const timer = setInterval(() => {
    const now = Date.now();
    const stalled =
      partialFrameMs !== undefined && conn.partialSince !== undefined && now - conn.partialSince >= partialFrameMs;
    const idle =
      idleMs !== undefined && conn.partialSince === undefined && !conn.work.busy && now - conn.lastActive >= idleMs;
    if (stalled || idle) close();
  }, period);
  timer.unref();
  return timer;
}

function dispatch(conn: Conn, msg: ClientMessage, opts: ServerOptions): void {
  const handler = opts.handlers[msg.type] as (c: Conn, m: ClientMessage) => Promise<void> | void;
  let pending: Promise<void> | void;
  try {
    pending = handler(conn, msg);
  } catch (err) {
    replyError(conn, msg.id, err, opts);
    return;
  }
  if (pending instanceof Promise) pending.catch((err: unknown) => replyError(conn, msg.id, err, opts));
}

function replyError(conn: Conn, re: number, err: unknown, opts: ServerOptions): void {
  if (err instanceof ReplyError) {
    conn.error(re, err.code, err.message, err.hint);
    return;
  }
  if (err instanceof GuardError) {
    conn.error(re, err.kind === 'fail_closed' ? 'fail_closed' : 'internal', err.message, err.hint);
    opts.onError(err, 'handler');
    return;
  }
  opts.onError(err, 'handler');
  conn.error(re, 'internal', `internal error: ${messageOf(err)}`);
}
