/**
 * A lean protocol client (no zod, no SQLite): used by `guard exec` on its hot path and by the
 * other CLI commands. Messages are correlated by id; a handler receives every daemon message
 * answering a given id (result, error and any events).
 */
import { connect, type Socket } from 'node:net';
import { FailClosedError } from '../errors.js';
import { encodeFrame, FrameError, FrameReader } from './framing.js';
import type { ClientBody, DaemonMessage, ErrorCode } from './messages.js';

/** The daemon answered with an error frame. */
export class DaemonReplyError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint: string | undefined,
  ) {
    super(message);
    this.name = 'DaemonReplyError';
  }
}

/**
 * The daemon's answer does not have the shape its message type promises (src/daemon/replies.ts):
 * nothing is acted on; the caller fails closed.
 */
export class DaemonProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DaemonProtocolError';
  }
}

/** The connection could not be made or was lost. `code` is the socket error code when known. */
export class DaemonConnectionError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'DaemonConnectionError';
  }
}

type Handler = (msg: DaemonMessage) => void;

function isDaemonMessage(v: unknown): v is DaemonMessage {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return typeof m['re'] === 'number' && (m['type'] === 'result' || m['type'] === 'error' || m['type'] === 'event');
}

export class DaemonClient {
  private nextId = 1;
  private readonly handlers = new Map<number, Handler>();
  private closedWith: DaemonConnectionError | undefined;
  private readonly closeListeners: ((err: DaemonConnectionError) => void)[] = [];

  private constructor(private readonly socket: Socket) {
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      let msgs: unknown[];
      try {
        msgs = reader.push(chunk);
      } catch (err) {
        this.fail(new DaemonConnectionError(`bad frame from daemon: ${(err as Error).message}`, 'EPROTO'));
        return;
      }
      for (const m of msgs) {
        if (!isDaemonMessage(m)) {
          this.fail(new DaemonConnectionError('malformed message from daemon', 'EPROTO'));
          return;
        }
        this.handlers.get(m.re)?.(m);
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => this.fail(new DaemonConnectionError(err.message, err.code)));
    socket.on('close', () => this.fail(new DaemonConnectionError('the daemon closed the connection', 'ECONNRESET')));
  }

  /** Connect to the socket; rejects with DaemonConnectionError (ENOENT, ECONNREFUSED, ETIMEDOUT…). */
  static connect(path: string, timeoutMs = 2000): Promise<DaemonClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ path });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new DaemonConnectionError(`no answer from ${path} within ${timeoutMs} ms`, 'ETIMEDOUT'));
      }, timeoutMs);
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new DaemonConnectionError(err.message, err.code));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new DaemonClient(socket));
      });
    });
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  onClose(listener: (err: DaemonConnectionError) => void): void {
    if (this.closedWith !== undefined) listener(this.closedWith);
    else this.closeListeners.push(listener);
  }

  /** Send a message; `handler` receives every daemon message answering it. Returns its id. */
  send(body: ClientBody, handler: Handler): number {
    if (this.closedWith !== undefined) throw this.closedWith;
    const id = this.nextId++;
    const frame = encodeOrRefuse({ ...body, id });
    this.handlers.set(id, handler);
    this.socket.write(frame);
    return id;
  }

  /** Send a message whose answer is not needed; its handler is dropped once the answer arrives. */
  post(body: ClientBody): void {
    const id = this.send(body, (msg) => {
      if (msg.type !== 'event') this.handlers.delete(id);
    });
  }

  /**
   * Send a message and resolve with its result as `parse` reads it (the reply schema, src/daemon/replies.ts
   * `ask`, or a lean check on the exec path). Rejects on an error frame, a lost connection, or a
   * result `parse` refuses (DaemonProtocolError).
   */
  call<R>(body: ClientBody, parse: (data: unknown) => R): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.onClose(reject);
      try {
        const id = this.send(body, (msg) => {
          if (msg.type === 'event') return;
          this.handlers.delete(id);
          if (msg.type === 'error') return reject(new DaemonReplyError(msg.code, msg.message, msg.hint));
          try {
            resolve(parse(msg.data));
          } catch (err) {
            reject(err instanceof Error ? err : new DaemonProtocolError(String(err)));
          }
        });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /**
   * Send a last message and close the connection without waiting for an answer; resolves once the
   * bytes are handed to the kernel (so the process may exit right after).
   */
  sendAndEnd(body: ClientBody): Promise<void> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.socket.end(encodeOrRefuse({ ...body, id }), () => resolve());
    });
  }

  close(): void {
    this.fail(new DaemonConnectionError('closed by client', 'ECLOSED'));
  }

  private fail(err: DaemonConnectionError): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = err;
    this.socket.destroy();
    for (const l of this.closeListeners.splice(0)) l(err);
  }
}

/** Encode a message; one larger than the protocol allows is refused with a clear, typed error. */
function encodeOrRefuse(message: object): Buffer {
  try {
    return encodeFrame(message);
  } catch (err) {
    if (err instanceof FrameError && err.code === 'oversized') {
      throw new FailClosedError(`the request is too large for the guard daemon (${err.message}); nothing was run`, {
        hint: 'shorten the command line (for example, move a long script into a file and run that file)',
      });
    }
    throw err;
  }
}
