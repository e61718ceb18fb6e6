/**
 * Webhook endpoints served by the hub (decision 1071): each endpoint is owned by one replica, which
 * POSTs every request signed and takes a signed decision inline (200 body) or from the polled
 * Location (202); a callback endpoint's receiver answers at the hub's own
 * POST /v1/webhooks/<name>/callback, and any replica takes it (signature checked, each signature
 * once fleet-wide). The decision becomes a hub-signed vote with the identity the daemon's webhook
 * channel gives (`webhook`, the approver), mapped by the daemon to an enrolled approver; anyone
 * else is refused and recorded. Real PostgreSQL, two `guard hub start` processes, a real daemon, and
 * the local receiver of the webhook channel tests (it checks guard's signatures with its own HMAC).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARK, type LedgerRow, type Rig } from '../daemon/helpers.js';
import { postgresSkipReason, startPostgres, type Postgres } from '../helpers/postgres.js';
import { postCallback, Receiver, sign, type Received } from '../channels/receiver.js';
import { health, startHost, startReplica, stopFleet, until, type Replica } from './fleet.js';

const ID = /request (rq-[0-9a-f]{12}) is waiting/;
const HOST = 'hubteams-w';
const SECRET = 'hook-secret-0123456789';

let pg: Postgres;
let receiver: Receiver;
let dir: string;
let rig: Rig;
const replicas: Replica[] = [];
let startOne: () => Promise<Replica>;
/** Poll runs answered by the receiver once the test allows (request id → decision). */
const pollAnswers = new Map<string, Record<string, unknown>>();

const commandOf = (req: Received): string => (req.json?.['request'] as { command?: string } | undefined)?.command ?? '';
const requestOf = (req: Received): string => (req.json?.['request'] as { id?: string } | undefined)?.id ?? '';
const approve = (approver: string) => ({ action: 'approve', approver });

function respond(req: Received): {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  signWith?: string;
} {
  if (req.method === 'POST' && req.path === '/inline' && commandOf(req).includes('via-inline'))
    return { status: 200, body: JSON.stringify(approve('alice@example.test')), signWith: SECRET };
  if (req.method === 'POST' && req.path === '/poll')
    return { status: 202, headers: { location: `/poll/runs/${encodeURIComponent(requestOf(req))}` } };
  const run = /^\/poll\/runs\/(.+)$/.exec(req.path);
  if (req.method === 'GET' && run !== null) {
    const answer = pollAnswers.get(decodeURIComponent(run[1]!));
    return answer === undefined
      ? { status: 202, headers: { 'retry-after': '1' } }
      : { status: 200, body: JSON.stringify(answer), signWith: SECRET };
  }
  return { status: 200, body: '{}' };
}

const of = (recs: LedgerRow[], id: string, type: string): LedgerRow[] =>
  recs.filter((r) => r.type === type && r.payload['requestId'] === id);
const deliveredTo = (path: string, id: string): Received[] =>
  receiver.received.filter((r) => r.method === 'POST' && r.path === path && requestOf(r) === `${id}@${HOST}`);

function raise(via: string): { p: ReturnType<Rig['spawnGuard']>; id: Promise<string> } {
  const p = rig.spawnGuard(['exec', '--', MARK, rig.marker, 'approve-me', via], { timeoutMs: 120_000 });
  return { p, id: p.waitFor(ID).then((m) => m[1]!) };
}

/** Which replica owns each endpoint (`[inl, pol, cb]` in health's order). */
async function ownerOf(index: number): Promise<number> {
  const states = await Promise.all(
    replicas.map((r) => health(r.url) as Promise<{ webhookOwner?: boolean[] } | undefined>),
  );
  return states.findIndex((s) => s?.webhookOwner?.[index] === true);
}

describe.skipIf(postgresSkipReason() !== undefined)('guard hub: webhooks', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'guard-hub-webhooks-'));
    pg = await startPostgres();
    receiver = new Receiver(SECRET, respond);
    await receiver.start();
    const config = join(dir, 'hub-config.yaml');
    const hook = (name: string, path: string, mode: string, extra = ''): string =>
      `    - { name: ${name}, url: "${receiver.url}${path}", secret_ref: env:HOOK_SECRET, mode: ${mode}, allow_insecure_http: true${extra} }\n`;
    writeFileSync(
      config,
      `channels:\n  retry: { attempts: 3, base_ms: 20, max_ms: 100 }\n  webhooks:\n` +
        hook('inl', '/inline', 'inline') +
        hook('pol', '/poll', 'poll', ', poll_interval_seconds: 1') +
        hook('cb', '/cb', 'callback'),
    );
    startOne = () => startReplica(pg, config, '127.0.0.1:0', { HOOK_SECRET: SECRET });
    replicas.push(await startOne(), await startOne());
    rig = await startHost(pg, replicas, replicas[0]!.url, HOST, undefined, {
      name: 'alice',
      flags: ['--email', 'alice@example.test'],
    });
  }, 300_000);
  afterAll(() => stopFleet({ rig, replicas, pg, dir, server: receiver }));

  it('inline: the signed 200 answer approves; every delivery is signed and goes out once', async () => {
    const r = raise('via-inline');
    const id = await r.id;
    expect((await r.p.done).code).toBe(0);
    expect(rig.marks()).toHaveLength(1);
    const recs = await rig.ledger();
    expect(of(recs, id, 'approval')[0]?.payload).toMatchObject({ approver: 'alice', channel: 'webhook' });
    for (const path of ['/inline', '/poll', '/cb']) {
      const created = deliveredTo(path, id).filter((d) => d.json?.['event'] === 'request.created');
      expect(created).toHaveLength(1);
      expect(created[0]!.signatureValid).toBe(true);
    }
  }, 120_000);

  it('poll: the Location polled by the owner answers; a takeover resumes the poll without delivering again', async () => {
    const r = raise('via-poll');
    const id = await r.id;
    const key = `${id}@${HOST}`;
    await until(
      () =>
        pg
          .sql(
            `SELECT count(*) FROM channel_deliveries WHERE channel = 'webhook:pol' AND location IS NOT NULL AND request_id = '${id}'`,
          )
          .trim() === '1',
      'the Location kept',
    );
    const owner = await ownerOf(1);
    expect(owner).toBeGreaterThanOrEqual(0);
    replicas[owner]!.child.kill('SIGKILL');
    await until(async () => (await ownerOf(1)) === 1 - owner, 'the other replica owns the poll endpoint');
    // a fresh replica in place of the dead one (it owns nothing: the survivor holds every lock)
    const dead = replicas[owner]!;
    replicas[owner] = await startOne();
    replicas.push(dead);
    const seen = receiver.received.length;
    await until(
      () => receiver.received.slice(seen).some((q) => q.method === 'GET' && q.path.includes(encodeURIComponent(key))),
      'the new owner polls the kept Location',
    );
    pollAnswers.set(key, approve('alice@example.test'));
    expect((await r.p.done).code).toBe(0);
    expect(rig.marks()).toHaveLength(2);
    expect(deliveredTo('/poll', id).filter((d) => d.json?.['event'] === 'request.created')).toHaveLength(1);
  }, 180_000);

  it('callback: any replica takes it once; a bad signature or a replay is refused; an unmapped approver is refused by the daemon', async () => {
    const r = raise('via-callback');
    const id = await r.id;
    const key = `${id}@${HOST}`;
    await until(() => deliveredTo('/cb', id).length > 0, 'the callback endpoint got the request');
    const envelope = deliveredTo('/cb', id)[0]!.json!;
    const callbackUrl = String(envelope['callback_url']);
    expect(callbackUrl).toMatch(/\/v1\/webhooks\/cb\/callback$/);
    const path = new URL(callbackUrl).pathname;
    // a: the replica that owns the endpoint and sent the delivery; b: one that did not
    const owner = await ownerOf(2);
    expect(owner).toBeGreaterThanOrEqual(0);
    const [a, b] = [replicas[owner]!.url, replicas[1 - owner]!.url];

    // a forged signature and a body naming no hub request are refused before anything is stored
    const body = (approver: string) => JSON.stringify({ request_id: key, ...approve(approver) });
    expect((await postCallback(`${a}${path}`, 'wrong-secret', body('alice@example.test'))).status).toBe(401);
    const bare = JSON.stringify({ request_id: id, ...approve('alice@example.test') });
    expect((await postCallback(`${a}${path}`, SECRET, bare)).status).toBe(400);

    // mallory: stored as a vote, refused by the daemon and recorded
    expect((await postCallback(`${b}${path}`, SECRET, body('mallory@example.test'))).status).toBe(200);
    const refused = await rig.ledger((rs) => of(rs, id, 'approval_refused').length > 0);
    expect(of(refused, id, 'approval_refused')[0]?.payload).toMatchObject({
      channel: 'webhook',
      identity: 'mallory@example.test',
      code: 'unknown-approver',
    });
    expect(rig.marks()).toHaveLength(2);

    // alice's callback, then the same signed callback replayed at another replica
    const ts = String(Math.floor(Date.now() / 1000));
    const signed = { timestamp: ts, signature: sign(SECRET, ts, body('alice@example.test')) };
    expect((await postCallback(`${b}${path}`, SECRET, body('alice@example.test'), signed)).status).toBe(200);
    expect((await postCallback(`${a}${path}`, SECRET, body('alice@example.test'), signed)).status).toBe(409);
    expect((await r.p.done).code).toBe(0);
    expect(rig.marks()).toHaveLength(3);
    const recs = await rig.ledger();
    expect(of(recs, id, 'approval')).toHaveLength(1);
  }, 120_000);
});
