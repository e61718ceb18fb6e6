/**
 * Delivery with bounded exponential backoff, and the health a channel reports in status().
 * Every failed attempt is logged through the host (the daemon records errors in the ledger);
 * the error text must not contain secrets (callers pass messages built without them).
 */
import type { ChannelHost } from './types.js';
import { messageOf } from '../errors.js';

export interface RetryPolicy {
  /** Attempts in total (first try included). */
  attempts: number;
  baseMs: number;
  maxMs: number;
}

/** A delivery attempt; may return what to do with the answer once delivered. */
export type Job = () => Promise<(() => Promise<void>) | void>;

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 500, maxMs: 30_000 };

/** Delay before attempt n+1 (n ≥ 1): base·2^(n-1), capped. */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Tracks delivery health and runs jobs in order (one queue per channel). */
export class Delivery {
  private delivered = 0;
  private failedAttempts = 0;
  private consecutiveFailures = 0;
  private gaveUp = 0;
  private lastError: string | undefined;
  private tail: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();
  private host: ChannelHost | undefined;

  constructor(
    readonly channel: string,
    private readonly policy: RetryPolicy,
  ) {}

  attach(host: ChannelHost): void {
    this.host = host;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  log(level: 'info' | 'warn' | 'error', message: string): void {
    this.host?.log({ channel: this.channel, level, message });
  }

  /**
   * Queue a job; it runs after the previous ones, retried with backoff. Never rejects. A job may
   * return a continuation, run once after the delivery counted as a success (answer handling).
   */
  enqueue(what: string, job: Job): Promise<void> {
    const run = this.tail.then(async () => {
      await this.attempt(what, job);
    });
    this.tail = run;
    return run;
  }

  /** Resolves when everything queued so far has finished (delivered or given up). */
  flush(): Promise<void> {
    return this.tail;
  }

  stop(): void {
    this.abort.abort();
  }

  /** Runs job with retries; resolves true when it succeeded. */
  async attempt(what: string, job: Job): Promise<boolean> {
    for (let n = 1; n <= this.policy.attempts; n++) {
      if (this.abort.signal.aborted) return false;
      let then: (() => Promise<void>) | void;
      try {
        then = await job();
        this.succeeded();
      } catch (err) {
        this.failed(`${what}: attempt ${n}/${this.policy.attempts} failed: ${messageOf(err)}`);
        if (n < this.policy.attempts) await sleep(backoffMs(this.policy, n), this.abort.signal);
        continue;
      }
      if (then !== undefined) await then().catch((err: unknown) => this.failed(`${what}: ${messageOf(err)}`));
      return true;
    }
    this.gaveUp++;
    this.log(
      'error',
      `${what}: gave up after ${this.policy.attempts} attempts; the request stays pending until it expires`,
    );
    return false;
  }

  succeeded(): void {
    this.delivered++;
    this.consecutiveFailures = 0;
  }

  failed(message: string): void {
    this.failedAttempts++;
    this.consecutiveFailures++;
    this.lastError = message;
    this.log('error', message);
  }

  status(extra?: { ok: boolean; detail: string }): { ok: boolean; detail: string } {
    const ok = this.consecutiveFailures === 0 && (extra?.ok ?? true);
    const parts = [extra?.detail, `${this.delivered} delivered`, `${this.failedAttempts} failed attempts`];
    if (this.gaveUp > 0) parts.push(`${this.gaveUp} given up`);
    if (this.consecutiveFailures > 0 && this.lastError !== undefined) parts.push(`last error: ${this.lastError}`);
    return { ok, detail: parts.filter((p) => p !== undefined).join('; ') };
  }
}
