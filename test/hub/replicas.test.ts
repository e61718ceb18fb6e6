/**
 * A daemon configured with several hub replicas moves on from one only when it failed (no answer,
 * or a 5xx: it cannot reach its database), never because it refused a call. A real daemon and a
 * real `guard hub start` on a real PostgreSQL; the second "replica" is a server that answers every
 * call with the hub's own 503, and counts them. The host pinned no ledger key at enrolment, so the
 * live replica refuses its evidence forwarding (400) again and again: the daemon used to take that
 * for a failed replica, move to the other, and keep polling a dead replica while the live one held
 * its votes.
 */
import { createServer, get, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rig } from '../daemon/helpers.js';
import { postgresSkipReason, startPostgres, type Postgres } from '../helpers/postgres.js';
import { startHost, startReplica, until, type Replica } from './fleet.js';

const ID = /request (rq-[0-9a-f]{12}) is waiting/;

let pg: Postgres;
let live: Replica;
let down: Server;
let downUrl: string;
let rig: Rig;
const downCalls: string[] = [];

describe.skipIf(postgresSkipReason() !== undefined)('hub replicas seen from a daemon', () => {
  beforeAll(async () => {
    pg = await startPostgres();
    live = await startReplica(pg);
    down = createServer((req, res) => {
      downCalls.push(`${req.method ?? ''} ${req.url ?? ''}`);
      req.resume();
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end('{"error":"the hub cannot reach its database"}');
    });
    await new Promise<void>((r) => down.listen(0, '127.0.0.1', r));
    downUrl = `http://127.0.0.1:${(down.address() as AddressInfo).port}`;
    // the daemon's config lists the live replica first, then the one that cannot reach its database
    rig = await startHost(pg, [live, { url: downUrl } as Replica], live.url, 'rep-a');
  }, 300_000);

  afterAll(async () => {
    await rig?.cleanup();
    live?.child.kill('SIGKILL');
    await new Promise<void>((r) => (down ? down.close(() => r()) : r()));
    await pg?.destroy();
  });

  it('a refusal (4xx) from the live replica keeps the daemon on it; only failures move it on', async () => {
    const hostId = pg.sql(`SELECT id FROM hosts WHERE name = 'rep-a'`).trim();
    const refusals = (): number =>
      Number(pg.sql(`SELECT count(*) FROM witness_refusals WHERE host_id = '${hostId}'`).trim());
    // the forwarder's second refusal: the daemon has handled the first answer and called again
    await until(() => refusals() >= 2, 'two refused evidence forwardings');
    expect(downCalls).toEqual([]);

    // a held request is raised on the live replica at once
    const p = rig.exec('approve-me');
    const [, id] = await p.waitFor(ID);
    await until(
      () => pg.sql(`SELECT count(*) FROM requests WHERE request_id = '${id!}'`).trim() === '1',
      'the request on the hub',
    );
    expect(downCalls).toEqual([]);
    expect((await rig.guard(['revoke', id!])).code).toBe(0);
    expect((await p.done).code).toBe(76);
  }, 120_000);

  it('a view the hub refuses (4xx) is set aside, so the views queued behind it still reach the hub', async () => {
    // a proxy in front of the live replica refuses every PUT of the first request this host raises
    // (as the hub refuses a view it cannot take) and passes everything else through
    let refusedId: string | undefined;
    let refusals = 0;
    const proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (req.method === 'PUT' && req.url === '/v1/requests') {
          const id = (JSON.parse(body.toString('utf8')) as { view: { id: string } }).view.id;
          refusedId ??= id;
          if (id === refusedId) {
            refusals++;
            res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid body: refused"}');
            return;
          }
        }
        const up = request(`${live.url}${req.url ?? ''}`, { method: req.method, headers: req.headers }, (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        });
        up.on('error', () => res.destroy());
        up.end(body);
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const host = await startHost(pg, [{ url: proxyUrl } as Replica], live.url, 'rep-b');
    try {
      const first = host.exec('approve-me');
      const [, a] = await first.waitFor(ID);
      await until(() => refusals >= 1, 'the first view refused');
      expect(refusedId).toBe(a);
      const second = host.exec('approve-me');
      const [, b] = await second.waitFor(ID);
      // before: the refused view was sent again and again, and this one never left the queue
      await until(
        () => pg.sql(`SELECT count(*) FROM requests WHERE request_id = '${b!}'`).trim() === '1',
        'the second request on the hub',
      );
      expect(refusals).toBe(1);
      expect(pg.sql(`SELECT count(*) FROM requests WHERE request_id = '${a!}'`).trim()).toBe('0');
      const status = await host.guard(['daemon', 'status']);
      expect(status.stdout).toContain('1 request views refused by the hub');
      // the refused request is still open on its host, and still ends there
      expect((await host.guard(['revoke', a!])).code).toBe(0);
      expect((await host.guard(['revoke', b!])).code).toBe(0);
      expect((await first.done).code).toBe(76);
      expect((await second.done).code).toBe(76);
    } finally {
      await host.cleanup();
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  }, 180_000);

  it('keeps an idle connection open longer than a client does, so a reused connection never meets a close', async () => {
    // Node's fetch closes an idle connection after 4 s; a hub closing first (Node's default: 5 s)
    // raced a loaded client reusing it, and the call failed with no answer
    const header = await new Promise<string>((resolve, reject) => {
      get(`${live.url}/v1/health`, { headers: { connection: 'keep-alive' } }, (res) => {
        res.resume();
        resolve(String(res.headers['keep-alive'] ?? ''));
      }).on('error', reject);
    });
    expect(Number(/timeout=(\d+)/.exec(header)?.[1])).toBeGreaterThanOrEqual(60);
  });
});
