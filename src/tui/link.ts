/**
 * The TUI's connection to the daemon: connect, subscribe, turn the pushed events into reducer
 * actions, and when the connection fails say so and retry with exponential backoff. Requests are
 * pushed by the daemon (no polling); nothing is shown as actionable without a live subscription.
 */
import { DaemonClient, DaemonConnectionError } from '../daemon/client.js';
import type { ClientBody, ReplyOf } from '../daemon/messages.js';
import { ask } from '../daemon/replies.js';
import type { Action } from './reducer.js';
import { parseSubscribeEvent } from './wire.js';
import { messageOf } from '../errors.js';

export interface LinkOptions {
  socket: string;
  now(): number;
  /** First retry delay; doubles up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  connectTimeoutMs?: number;
  /** A request the daemon does not answer in this time fails (the UI must never stay busy). */
  callTimeoutMs?: number;
}

export const DEFAULT_CALL_TIMEOUT_MS = 15_000;

export const DEFAULT_INITIAL_DELAY_MS = 250;
export const DEFAULT_MAX_DELAY_MS = 10_000;

/** The retry delay after `attempt` consecutive failures (1, 2, …). */
export function backoffDelay(
  attempt: number,
  initialMs = DEFAULT_INITIAL_DELAY_MS,
  maxMs = DEFAULT_MAX_DELAY_MS,
): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, Math.min(30, attempt - 1)));
}

function describe(err: unknown, socket: string): string {
  const code = err instanceof DaemonConnectionError ? err.code : undefined;
  if (code === 'ENOENT') return `no daemon socket at ${socket}; start it with \`guard daemon start\``;
  if (code === 'ECONNREFUSED') return `nothing listens on ${socket}; start it with \`guard daemon start\``;
  if (code === 'EACCES') return `no permission to use ${socket}`;
  return messageOf(err);
}

export class DaemonLink {
  private client: DaemonClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private stopped = false;
  private emit: (a: Action) => void = () => undefined;

  constructor(private readonly opts: LinkOptions) {}

  start(emit: (a: Action) => void): void {
    this.emit = emit;
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.client?.close();
    this.client = undefined;
  }

  /** One request/response on the live connection; rejects at once when there is none, or after a timeout. */
  call<B extends ClientBody>(body: B): Promise<ReplyOf<B['type']>> {
    const c = this.client;
    if (c === undefined || c.closed)
      return Promise.reject(new DaemonConnectionError('not connected to the daemon', 'ENOTCONN'));
    const ms = this.opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new DaemonConnectionError(`no answer to ${body.type} within ${ms / 1000} s`, 'ETIMEDOUT')),
        ms,
      );
    });
    return Promise.race([ask(c, body), timeout]).finally(() => clearTimeout(timer));
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.timer = undefined;
    this.emit({ type: 'connection', connection: { status: 'connecting', attempt: this.attempt } });
    let client: DaemonClient;
    try {
      client = await DaemonClient.connect(this.opts.socket, this.opts.connectTimeoutMs ?? 2000);
    } catch (err) {
      this.down(err);
      return;
    }
    if (this.stopped) {
      client.close();
      return;
    }
    this.client = client;
    client.onClose((err) => {
      if (this.client === client) this.down(err);
    });
    try {
      client.send({ type: 'subscribe' }, (msg) => {
        if (this.client !== client) return;
        if (msg.type === 'error') {
          client.close();
          this.down(new Error(`the daemon refused the subscription: ${msg.message}`));
          return;
        }
        if (msg.type !== 'event') return;
        const ev = parseSubscribeEvent(msg.data);
        if (ev.kind === 'snapshot') {
          this.attempt = 0;
          this.emit({ type: 'connection', connection: { status: 'live' } });
          this.emit({ type: 'snapshot', views: ev.views });
          if (ev.dropped > 0)
            this.emit({
              type: 'flash',
              flash: { level: 'error', text: `${ev.dropped} malformed request(s) from the daemon were ignored` },
            });
        } else if (ev.kind === 'update') this.emit({ type: 'update', view: ev.view });
        else
          this.emit({
            type: 'flash',
            flash: { level: 'error', text: `ignored a malformed daemon event: ${ev.detail}` },
          });
      });
    } catch (err) {
      this.down(err);
    }
  }

  private down(err: unknown): void {
    if (this.stopped) return;
    const c = this.client;
    this.client = undefined;
    c?.close();
    if (this.timer !== undefined) return; // a retry is already scheduled
    this.attempt += 1;
    const delay = backoffDelay(this.attempt, this.opts.initialDelayMs, this.opts.maxDelayMs);
    this.emit({
      type: 'connection',
      connection: {
        status: 'down',
        message: describe(err, this.opts.socket),
        retryAt: this.opts.now() + delay,
        attempt: this.attempt,
      },
    });
    this.timer = setTimeout(() => void this.connect(), delay);
  }
}
