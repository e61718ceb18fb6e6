/**
 * The client of the hub's push stream for approvers (GET /v1/fleet/events, decision 1076): calls
 * `onChanged` for every `changed` event (and once when the stream opens), reconnecting with backoff
 * when the stream drops or ends. The events carry nothing else; the caller re-reads the list.
 */
import { backoffDelay } from './link.js';

/** An event larger than this is not the hub's: the stream is dropped and opened again. */
const MAX_EVENT_CHARS = 16 * 1024;

export interface HubEvents {
  stop(): void;
}

export function followHubEvents(url: string, token: string, onChanged: () => void): HubEvents {
  let stopped = false;
  let abort = new AbortController();
  let retry: NodeJS.Timeout | undefined;
  let attempt = 0;

  const read = async (): Promise<void> => {
    abort = new AbortController();
    const res = await fetch(`${url}/v1/fleet/events`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      signal: abort.signal,
    });
    if (!res.ok || res.body === null || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      await res.body?.cancel().catch(() => undefined);
      throw new Error(`the hub answered ${res.status}`);
    }
    attempt = 0;
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true }).replace(/\r\n?/g, '\n');
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (event.split('\n').includes('event: changed')) onChanged();
      }
      if (buffer.length > MAX_EVENT_CHARS) throw new Error('an oversized event from the hub');
    }
  };

  const loop = (): void => {
    if (stopped) return;
    read()
      .catch(() => undefined)
      .finally(() => {
        if (stopped) return;
        attempt += 1;
        retry = setTimeout(loop, backoffDelay(attempt));
      });
  };
  loop();
  return {
    stop() {
      stopped = true;
      clearTimeout(retry);
      abort.abort();
    },
  };
}
