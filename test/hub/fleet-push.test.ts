/**
 * Push for approvers (decision 1076) on a real PostgreSQL, a real `guard hub start` and a real
 * daemon host where bob is enrolled: the hub's event stream (GET /v1/fleet/events, SSE) is fed by
 * the `guard_requests` notifications and says only "changed"; the TUI's hub backend, with its
 * fallback poll set to an hour, shows a request raised on the host after its first read, so the
 * stream, not the poll, brought it. The stream refuses a caller without a valid approver session.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApproverKey } from '../../src/approval/keys.js';
import type { RequestView } from '../../src/channels/types.js';
import { HubBackend, hubLogin } from '../../src/tui/hub-backend.js';
import type { Action } from '../../src/tui/reducer.js';
import { MARK, type Rig } from '../daemon/helpers.js';
import { postgresSkipReason, type Postgres } from '../helpers/postgres.js';
import { bobSession, startBobFleet, stopBobFleet } from './bob-fleet.js';
import { until, type Replica } from './fleet.js';

const ID = /request (rq-[0-9a-f]{12}) is waiting/;
const HOUR = 3_600_000;

/** Reads an event stream's text until `done` says it has what it waits for. */
async function readUntil(res: Response, done: (text: string) => boolean): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of res.body!) {
    text += decoder.decode(chunk as Uint8Array, { stream: true });
    if (done(text)) break;
  }
  return text;
}

describe.skipIf(postgresSkipReason() !== undefined)('push for approvers: the hub event stream', () => {
  let pg: Postgres;
  let replica: Replica;
  let rig: Rig;
  let bob: ApproverKey;
  let token: string;

  beforeAll(async () => {
    ({ pg, replica, rig, bob } = await startBobFleet('hpush-a'));
    token = await hubLogin(replica.url, bob, Date.now());
  }, 300_000);

  afterAll(() => stopBobFleet({ pg, replica, rig, bob }));

  it('a request raised on the host reaches the TUI backend through the stream, with the poll set to an hour', async () => {
    const backend = new HubBackend(replica.url, token, bobSession(rig), () => Date.now(), HOUR);
    const snapshots: RequestView[][] = [];
    backend.start((a: Action) => {
      if (a.type === 'snapshot') snapshots.push(a.views);
    });
    try {
      // the first read (and the one the stream asks for when it opens) has happened
      await until(() => snapshots.length >= 2, 'the first reads of the fleet list');
      const p = rig.spawnGuard(['exec', '--', MARK, rig.marker, 'approve-me'], { timeoutMs: 120_000 });
      const [, id] = await p.waitFor(ID);
      await until(
        () => snapshots.at(-1)?.some((v) => v.id === id) === true,
        `${id!} in the TUI's snapshot without waiting for the poll`,
      );
      p.child.kill('SIGTERM');
      await p.done;
    } finally {
      backend.stop();
    }
  }, 120_000);

  it('the stream says only "changed": no request content reaches it', async () => {
    const ctl = new AbortController();
    const res = await fetch(`${replica.url}/v1/fleet/events`, {
      headers: { authorization: `Bearer ${token}` },
      signal: ctl.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const p = rig.spawnGuard(['exec', '--', MARK, rig.marker, 'approve-me'], { timeoutMs: 120_000 });
    const [, id] = await p.waitFor(ID);
    // the one sent on opening, then at least one for the new request
    const text = await readUntil(res, (t) => t.split('event: changed').length > 2);
    ctl.abort();
    expect(text).not.toContain(id!);
    expect(text).not.toContain('approve-me');
    for (const event of text.split('\n\n').filter((e) => e.trim() !== ''))
      expect(event === 'event: changed\ndata: {}' || event.startsWith(': keepalive')).toBe(true);
    p.child.kill('SIGTERM');
    await p.done;
  }, 120_000);

  it('refuses a caller without a valid approver session, and a host credential', async () => {
    const none = await fetch(`${replica.url}/v1/fleet/events`);
    expect(none.status).toBe(401);
    const forged = await fetch(`${replica.url}/v1/fleet/events`, {
      headers: { authorization: `Bearer ghs_${'A'.repeat(43)}` },
    });
    expect(forged.status).toBe(401);
    const host = readFileSync(join(rig.env['GUARD_HOME']!, 'hub.credential'), 'utf8').trim();
    const asHost = await fetch(`${replica.url}/v1/fleet/events`, { headers: { authorization: `Bearer ${host}` } });
    expect(asHost.status).toBe(401);
  });
});
