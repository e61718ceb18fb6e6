/**
 * The asynchronous 202 + Location pattern (webhook poll mode, Power Automate async responses):
 * GET the Location until it stops answering 202, honouring Retry-After within bounds; errors are
 * retried with bounded backoff. Stops as soon as `stillWanted()` is false (request final/expired).
 */
import { backoffMs, sleep, type Delivery, type RetryPolicy } from './delivery.js';
import { readResponse, REQUEST_TIMEOUT_MS } from './http.js';
import { messageOf } from '../errors.js';

/** What a channel reports of its delivery of a request (the hub keeps it for a takeover, decision 1070). */
export interface DeliveryRef {
  /** The absolute Location of the answer still awaited; null once answered, or when the delivery asks nothing. */
  location: string | null;
}

export interface PollOptions {
  what: string;
  target: URL;
  intervalMs: number;
  retry: RetryPolicy;
  delivery: Delivery;
  /** Headers for each GET (e.g. a fresh signature). */
  headers?: () => Record<string, string>;
  stillWanted: () => boolean;
  /** Called with the final (non-202, 2xx) answer. */
  onAnswer: (res: Response, text: string) => Promise<void>;
}

export async function pollLocation(o: PollOptions): Promise<void> {
  let wait = o.intervalMs;
  let failures = 0;
  const signal = o.delivery.signal;
  for (;;) {
    await sleep(wait, signal);
    if (signal.aborted || !o.stillWanted()) return;
    try {
      const res = await fetch(o.target, {
        headers: o.headers?.() ?? {},
        redirect: 'error',
        signal: AbortSignal.any([AbortSignal.timeout(REQUEST_TIMEOUT_MS), signal]),
      });
      const text = await readResponse(res);
      if (res.status === 202) {
        failures = 0;
        wait = retryAfterMs(res, o.intervalMs);
        continue;
      }
      if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status}`);
      o.delivery.succeeded();
      return await o.onAnswer(res, text);
    } catch (err) {
      failures++;
      o.delivery.failed(`poll ${o.what} (${failures}/${o.retry.attempts}): ${messageOf(err)}`);
      if (failures >= o.retry.attempts) {
        o.delivery.log('error', `poll ${o.what}: gave up; the request stays pending until it expires`);
        return;
      }
      wait = backoffMs(o.retry, failures);
    }
  }
}

/** Retry-After in seconds, bounded to [interval/5, 60 s]. */
export function retryAfterMs(res: Response, fallback: number): number {
  const value = Number(res.headers.get('retry-after'));
  if (!Number.isFinite(value) || value <= 0) return fallback;
  return Math.min(60_000, Math.max(fallback / 5, value * 1000));
}
