/**
 * Hub: N simulated hosts (default 50; BENCH_HUB_HOSTS) against `guard hub start` processes on one
 * throwaway PostgreSQL, first one replica, then two (hosts spread over them). Each host is an HTTP
 * client speaking the daemon link's protocol: it raises requests (PUT /v1/requests), long-polls
 * its votes and acknowledges them, and forwards signed ledger records (POST /v1/evidence). A click
 * is what the Slack owner does with one: `HubStore.addVote` (a signed vote row + NOTIFY).
 * Reported: requests raised and decided per second, click → host notified p50/p99, records
 * forwarded per second (each batch checked and cosigned by the hub); raise → approver notified: an
 * approver's event stream (GET /v1/fleet/events, decision 1076) open on the other replica.
 */
import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { Frontier, leafHash } from '../src/ledger/merkle.js';
import { formatVkey, rawPublicKey, signCheckpoint, verifierKey, type VerifierKey } from '../src/ledger/note.js';
import { formatPubkeyFile } from '../src/ledger/pubkey.js';
import { HubStore } from '../src/hub/store.js';
import { postgresSkipReason, startPostgres } from '../test/helpers/postgres.js';
import type { Replica } from '../test/hub/fleet.js';
import { fmt, quantile } from './lib.js';
import type { Suite } from './suites.js';

const HOSTS = Number(process.env['BENCH_HUB_HOSTS'] ?? 50);
const REQUESTS = Number(process.env['BENCH_HUB_REQUESTS'] ?? 10);
const RECORDS = Number(process.env['BENCH_HUB_RECORDS'] ?? 1000);
const BATCH = 200;

interface SimHost {
  name: string;
  url: string;
  credential: string;
  key: KeyObject;
  vk: VerifierKey;
  /** The host's ledger so far: its tree and the last record's leaf hash. */
  log: Frontier;
  prev: string;
}

async function call(h: SimHost, path: string, body: unknown, method = 'POST', signal?: AbortSignal): Promise<unknown> {
  const init = {
    method,
    headers: { authorization: `Bearer ${h.credential}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...(signal === undefined ? {} : { signal }),
  };
  // every call here is safe to repeat (a resent batch is accepted unchanged); a kept-alive socket
  // closed by the server as it was reused is retried, as the daemon's link retries any failed call
  const res = await fetch(`${h.url}${path}`, init).catch((err: unknown) => {
    if (signal?.aborted === true) throw err;
    return fetch(`${h.url}${path}`, init);
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

async function enrol(store: HubStore, url: string, name: string): Promise<SimHost> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const vk = verifierKey(`bench.hub/${name}`, rawPublicKey(publicKey));
  const token = await store.mintToken(name);
  const res = await fetch(`${url}/v1/join`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, ledgerKey: formatPubkeyFile(formatVkey(vk)) }),
  });
  const body = (await res.json()) as { credential: string };
  return { name, url, credential: body.credential, key: privateKey, vk, log: new Frontier(), prev: '' };
}

const view = (id: string, state: string): unknown => ({ view: { id, state, command: 'bench', argv: ['bench'] } });

interface Clicks {
  pending: Map<string, { at: number; done: (at: number) => void }>;
}

/**
 * One long poll per host for the whole run, as a daemon's link keeps one: a poll abandoned by its
 * client is still served by the hub until it ends, and would lease the next round's votes.
 */
function startPollers(hosts: SimHost[], clicks: Clicks, signal: AbortSignal): Promise<unknown> {
  return Promise.allSettled(
    hosts.map(async (h) => {
      let ack: string[] = [];
      while (!signal.aborted) {
        const r = (await call(h, '/v1/votes/poll', { ack }, 'POST', signal)) as {
          votes: { id: string; body: { requestId: string } }[];
        };
        const now = performance.now();
        ack = r.votes.map((v) => v.id);
        for (const v of r.votes) clicks.pending.get(v.body.requestId)?.done(now);
      }
    }),
  );
}

/** Every host raises REQUESTS requests one after another; each is clicked and must reach the host. */
async function approvals(
  store: HubStore,
  hosts: SimHost[],
  pem: string,
  clicks: Clicks,
  count = REQUESTS,
): Promise<{ perSec: number; lat: number[] }> {
  const lat: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    hosts.map(async (h) => {
      for (let i = 0; i < count; i++) {
        const id = `rq-${randomBytes(6).toString('hex')}`;
        await call(h, '/v1/requests', view(id, 'pending'), 'PUT');
        const at = performance.now();
        const delivered = new Promise<void>((resolve) =>
          clicks.pending.set(id, {
            at,
            done: (t) => {
              clicks.pending.delete(id);
              lat.push(t - at);
              resolve();
            },
          }),
        );
        const err = await store.addVote(
          h.name,
          id,
          { action: 'approve', identity: { channel: 'slack', id: 'U0BENCH', display: 'bench' } },
          pem,
        );
        if (err !== undefined) throw new Error(err);
        await delivered;
        await call(h, '/v1/requests', view(id, 'approved'), 'PUT');
      }
    }),
  );
  return { perSec: (hosts.length * count) / ((performance.now() - t0) / 1000), lat };
}

/** Every host forwards RECORDS more records in batches of BATCH, each batch sealed by a signed checkpoint. */
async function forwarding(hosts: SimHost[]): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    hosts.map(async (h) => {
      const head = ((await call(h, '/v1/evidence/head', {})) as { size: number }).size;
      if (head !== h.log.size)
        throw new Error(`${h.name}: the hub holds ${head} records, the host wrote ${h.log.size}`);
      const ts = new Date().toISOString();
      for (let from = head + 1; from <= head + RECORDS; from += BATCH) {
        const batch: Buffer[] = [];
        for (let seq = from; seq < Math.min(from + BATCH, head + RECORDS + 1); seq++) {
          const payload = JSON.stringify({ n: seq, requestId: `rq-${seq.toString(16).padStart(12, '0')}` });
          const bytes = Buffer.from(
            `{"payload":${payload},"prev":"${h.prev}","seq":${seq},"ts":"${ts}","type":"request"}`,
          );
          const leaf = leafHash(bytes);
          h.prev = leaf.toString('hex');
          h.log.append(leaf);
          batch.push(bytes);
        }
        const note = signCheckpoint({ origin: h.vk.name, size: h.log.size, root: h.log.root() }, h.key, h.vk);
        await call(h, '/v1/evidence', { from, records: batch.map((b) => b.toString('base64')), checkpoint: note });
      }
    }),
  );
  return (hosts.length * RECORDS) / ((performance.now() - t0) / 1000);
}

/**
 * One host raises requests one at a time; an approver it enrolled has the event stream open on
 * `streamUrl`: the time from the raise to the stream's "changed". The approver session is made in
 * the database (the bench has no approver key to sign a login with).
 */
async function approverPush(pool: pg.Pool, h: SimHost, streamUrl: string, count = 20): Promise<number[]> {
  const publicKey = `bench-approver-${randomBytes(8).toString('hex')}`;
  await call(h, '/v1/approvers', { approvers: [{ name: 'bench', publicKey }] }, 'PUT');
  const token = `ghs_${randomBytes(32).toString('base64url')}`;
  await pool.query(
    `INSERT INTO approver_sessions (token_sha256, public_key, expires_at) VALUES ($1, $2, now() + interval '1 hour')`,
    [createHash('sha256').update(token).digest('hex'), publicKey],
  );
  const stop = new AbortController();
  const res = await fetch(`${streamUrl}/v1/fleet/events`, {
    headers: { authorization: `Bearer ${token}` },
    signal: stop.signal,
  });
  if (!res.ok || res.body === null) throw new Error(`event stream: ${res.status}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const changed = async (): Promise<void> => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (event.startsWith('event: changed')) return;
        continue;
      }
      const r = await reader.read();
      if (r.done) throw new Error('the event stream ended');
      buffer += decoder.decode(r.value as Uint8Array, { stream: true });
    }
  };
  await changed(); // the one sent on opening
  const lat: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const id = `rq-${randomBytes(6).toString('hex')}`;
      const t0 = performance.now();
      await call(h, '/v1/requests', view(id, 'pending'), 'PUT');
      await changed();
      lat.push(performance.now() - t0);
      await call(h, '/v1/requests', view(id, 'approved'), 'PUT');
      await changed();
    }
  } finally {
    stop.abort();
  }
  return lat;
}

export const hubSuite: Suite = {
  name: 'hub',
  async run() {
    const skip = postgresSkipReason();
    if (skip !== undefined) {
      process.stdout.write(`skipped: ${skip}\n`);
      return;
    }
    // the replicas are `guard hub start` processes of this checkout (the bench runs bundled elsewhere)
    process.env['GUARD_TEST_BIN'] ??= join(process.cwd(), 'bin', 'guard.js');
    const { startReplica } = await import('../test/hub/fleet.js');
    const db = await startPostgres();
    const replicas: Replica[] = [];
    const pool = new pg.Pool({ connectionString: db.url, max: 4 });
    pool.on('error', () => undefined); // idle connections end with the cluster at teardown
    try {
      replicas.push(await startReplica(db));
      const store = new HubStore(pool);
      const pem = (await pool.query<{ private_pem: string }>(`SELECT private_pem FROM hub_keys WHERE name = 'vote'`))
        .rows[0]!.private_pem;
      const hosts: SimHost[] = [];
      for (let i = 0; i < HOSTS; i++) hosts.push(await enrol(store, replicas[0]!.url, `bench-${i}`));
      process.stdout.write(
        `${HOSTS} simulated hosts, ${REQUESTS} requests and ${RECORDS} forwarded records each, local PostgreSQL\n`,
      );
      process.stdout.write(
        '| replicas | requests raised+decided/s | click→host p50 / p99 ms (all hosts at once) | idle click→host p50 / p99 ms | records forwarded/s |\n',
      );
      process.stdout.write('|---|---|---|---|---|\n');
      // pollers live for the whole run (each call goes to the host's current replica)
      const clicks: Clicks = { pending: new Map() };
      const stop = new AbortController();
      const polling = startPollers(hosts, clicks, stop.signal);
      for (const n of [1, 2]) {
        if (replicas.length < n) replicas.push(await startReplica(db));
        hosts.forEach((h, i) => (h.url = replicas[i % n]!.url));
        // a short warm-up round (connections, JIT), not measured
        await approvals(store, hosts.slice(0, 5), pem, clicks);
        // uncontended: one host, one click at a time
        const idle = await approvals(store, hosts.slice(0, 1), pem, clicks, 20);
        const a = await approvals(store, hosts, pem, clicks);
        const f = await forwarding(hosts);

        process.stdout.write(
          `| ${n} | ${fmt(a.perSec, 1)} | ${fmt(quantile(a.lat, 0.5), 1)} / ${fmt(quantile(a.lat, 0.99), 1)} | ${fmt(quantile(idle.lat, 0.5), 1)} / ${fmt(quantile(idle.lat, 0.99), 1)} | ${fmt(f, 0)} |\n`,
        );
      }
      stop.abort();
      await polling;
      const push = await approverPush(pool, hosts[0]!, replicas[1]!.url);
      process.stdout.write(
        `\nraise → approver notified (event stream on the other replica, ${push.length} raises one at a time): p50 ${fmt(quantile(push, 0.5), 1)} ms, p99 ${fmt(quantile(push, 0.99), 1)} ms\n`,
      );
    } finally {
      for (const r of replicas) r.child.kill('SIGKILL');
      await pool.end();
      await db.destroy();
    }
  },
};
