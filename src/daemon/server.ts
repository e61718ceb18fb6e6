/**
 * The socket server: one FrameReader per connection, every message validated against its
 * schema, then dispatched to the handler for its type. A malformed frame or message gets an
 * error frame and the connection is closed; the daemon itself never goes down for a client.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { GuardError } from '../errors.js';
import { encodeFrame, FrameError, FrameReader, MAX_FRAME_BYTES } from './framing.js';
import type { ClientMessage, ClientType, DaemonMessage, ErrorCode } from './messages.js';
import { parseClientMessage } from './schemas.js';

/** A handler's view of one client connection. */
export interface Conn {
  readonly id: number;
  readonly closed: boolean;
  result(re: number, data: unknown): void;
  event(re: number, data: unknown): void;
  error(re: number, code: ErrorCode, message: string, hint?: string): void;
  /** Called once when the connection goes away (client exit, crash or protocol error). */
  onClose(listener: () => void): void;
  end(): void;
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
  maxConnections?: number;
}

class Connection implements Conn {
  closed = false;
  private readonly listeners: (() => void)[] = [];

  constructor(
    readonly id: number,
    private readonly socket: Socket,
  ) {
    socket.once('close', () => {
      this.closed = true;
      for (const l of this.listeners.splice(0)) l();
    });
  }

  private write(msg: DaemonMessage): void {
    if (this.closed || this.socket.destroyed) return;
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
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const conn = new Connection(nextConn++, socket);
    const reader = new FrameReader(MAX_FRAME_BYTES);
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      if (conn.closed) return;
      let values: unknown[];
      try {
        values = reader.push(chunk);
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
        dispatch(conn, parsed.message, opts);
      }
    });
  });
  server.maxConnections = opts.maxConnections ?? 4096;
  return {
    server,
    closeAll: () => {
      for (const s of sockets) s.destroy();
    },
  };
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
  conn.error(re, 'internal', `internal error: ${err instanceof Error ? err.message : String(err)}`);
}
