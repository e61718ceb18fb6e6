/**
 * LISTEN on one dedicated connection, as a wake-up only: waiters are told "something changed for
 * this key" and re-read by query. The connection is re-opened after any failure; while it is down
 * waiters still wake when their own wait ends, so a lost notification delays and never loses.
 */
import pg from 'pg';

export class Wakeups {
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Told of every wake-up: its key, or undefined for "anything may have changed" (after a reconnect). */
  private readonly listeners = new Set<(key: string | undefined) => void>();
  private client: pg.Client | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly onError: (message: string) => void,
  ) {}

  async start(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.url });
    const reopen = (why: string): void => {
      if (this.client !== client) return;
      this.client = undefined;
      client.end().catch(() => undefined);
      this.wakeAll();
      if (this.stopped) return;
      this.onError(`notification connection lost (${why}); reopening`);
      this.retry = setTimeout(() => void this.start().catch(() => undefined), 500);
    };
    client.on('error', (e) => reopen(e.message));
    client.on('end', () => reopen('ended'));
    client.on('notification', (n) => this.wake(n.payload ?? ''));
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
      // anything that happened while not listening: wake everyone to re-read
      this.wakeAll();
    } catch (err) {
      reopen((err as Error).message);
      throw err;
    }
  }

  /** Resolves when `key` is woken, or after `ms` (a long poll's own end), whichever comes first. */
  wait(key: string, ms: number): { promise: Promise<void>; cancel: () => void } {
    let done!: () => void;
    const promise = new Promise<void>((r) => (done = r));
    const set = this.waiters.get(key) ?? new Set();
    this.waiters.set(key, set);
    const finish = (): void => {
      clearTimeout(timer);
      set.delete(finish);
      if (set.size === 0) this.waiters.delete(key);
      done();
    };
    const timer = setTimeout(finish, ms);
    set.add(finish);
    return { promise, cancel: finish };
  }

  /** Calls `fn` on every wake-up until the returned function is called. */
  onAny(fn: (key: string | undefined) => void): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  private wake(key: string): void {
    for (const f of [...(this.waiters.get(key) ?? [])]) f();
    for (const l of [...this.listeners]) l(key);
  }

  private wakeAll(): void {
    for (const key of [...this.waiters.keys()]) this.wake(key);
    for (const l of [...this.listeners]) l(undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    this.wakeAll();
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }
}
