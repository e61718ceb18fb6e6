/**
 * GET /v1/fleet/events (decision 1076): a push stream for `guard tui --hub`, authenticated like the
 * other fleet routes. Server-sent events (`text/event-stream`) fed by the `guard_requests`
 * LISTEN/NOTIFY wake-ups; an event says only `changed` (never request content), for a change on a
 * host that enrolled this approver, and the client re-reads /v1/fleet/requests. One event is sent
 * when the stream opens (anything missed while not connected) and after the notification
 * connection was re-opened (a notification may have been lost). A stream ends after
 * `STREAM_MAX_MS`: the client reconnects, authenticating again, and the approver's hosts are
 * read again.
 */
import type { ServerResponse } from 'node:http';
import type { HubStore } from './store.js';
import type { Wakeups } from './wake.js';

export const STREAM_MAX_MS = 5 * 60_000;
/** A comment line now and then, so proxies and the client see the stream alive. */
const KEEPALIVE_MS = 15_000;
/** Streams one replica serves at most; beyond, 503 (the client falls back to its slow poll). */
const MAX_STREAMS = 1000;

export class FleetEvents {
  private streams = 0;

  constructor(
    private readonly store: HubStore,
    private readonly changes: Wakeups,
  ) {}

  /** Streams to the approver with this public key until the client goes or the stream's time is up. */
  async stream(key: string, res: ServerResponse): Promise<void> {
    if (this.streams >= MAX_STREAMS) {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'too many event streams on this replica; poll instead' }));
      return;
    }
    const hosts = new Set(
      (
        await this.store.pool.query<{ host_id: string }>(
          'SELECT DISTINCT host_id FROM host_approvers WHERE public_key = $1',
          [key],
        )
      ).rows.map((r) => r.host_id),
    );
    this.streams += 1;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    // a client that does not read gets no more than a little buffered: it re-reads everything anyway
    const write = (text: string): void => void (res.writableLength < 4096 && res.write(text));
    const changed = (): void => write('event: changed\ndata: {}\n\n');
    changed();
    const off = this.changes.onAny((host) => {
      if (host === undefined || hosts.has(host)) changed();
    });
    const keepalive = setInterval(() => write(': keepalive\n\n'), KEEPALIVE_MS);
    const end = setTimeout(() => res.end(), STREAM_MAX_MS);
    try {
      await new Promise<void>((resolve) => {
        res.once('close', resolve);
        if (res.destroyed) resolve();
      });
    } finally {
      off();
      clearInterval(keepalive);
      clearTimeout(end);
      this.streams -= 1;
    }
  }
}
