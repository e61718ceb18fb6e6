/**
 * Teams through the hub (decision 1070): one replica owns the Teams delivery under its own advisory
 * lock; it posts each open request's card to the workflow, polls the Location of the flow run, and
 * turns the answer into a hub-signed vote for the right host (channel `teams`, identity = the
 * responder e-mail). The owner is killed while a card's Location is being polled: the replica that
 * takes over polls the kept Location instead of posting the card again, and the command runs once.
 * An e-mail the host does not map to an enrolled approver is relayed, refused by the daemon and
 * recorded. Real PostgreSQL, two `guard hub start` processes, a real daemon, and a local server
 * answering the way the Power Automate flow does (202 + Location, 202 while waiting, then the outcome).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARK, type Rig, type LedgerRow } from '../daemon/helpers.js';
import { postgresSkipReason, startPostgres, type Postgres } from '../helpers/postgres.js';
import { Receiver, type Received } from '../channels/receiver.js';
import { health, startHost, startReplica, stopFleet, until, type Replica } from './fleet.js';

const ID = /request (rq-[0-9a-f]{12}) is waiting/;
const HOST = 'hubteams-a';

let pg: Postgres;
let flow: Receiver;
let dir: string;
let rig: Rig;
const replicas: Replica[] = [];
/** The flow's answer per run number, once the test gives one (until then: 202, still waiting). */
const answers = new Map<number, Record<string, unknown>>();
/** Approval cards posted, in order: the run number each started and the request it names. */
const runs: { run: number; requestId: string }[] = [];

function respond(req: Received): { status: number; body?: string; headers?: Record<string, string> } {
  const run = /^\/workflows\/abc\/runs\/(\d+)\/response\?sig=run-secret$/.exec(req.path);
  if (req.method === 'GET' && run !== null) {
    const answer = answers.get(Number(run[1]));
    return answer === undefined
      ? { status: 202, headers: { 'retry-after': '1' } }
      : { status: 200, body: JSON.stringify(answer) };
  }
  const guard = (req.json?.['guard'] ?? {}) as { wants_approval?: boolean; request_id?: string };
  if (req.method !== 'POST' || guard.wants_approval !== true) return { status: 200, body: '' };
  runs.push({ run: runs.length + 1, requestId: guard.request_id ?? '' });
  return { status: 202, headers: { location: `/workflows/abc/runs/${runs.length}/response?sig=run-secret` } };
}

const cardsOf = (id: string): number[] => runs.filter((r) => r.requestId === `${id}@${HOST}`).map((r) => r.run);
const of = (recs: LedgerRow[], id: string, type: string): LedgerRow[] =>
  recs.filter((r) => r.type === type && r.payload['requestId'] === id);
const kept = (id: string): string =>
  pg.sql(`SELECT coalesce(location, 'none') FROM channel_deliveries WHERE request_id = '${id}'`).trim();

function raise(label: string): { p: ReturnType<Rig['spawnGuard']>; id: Promise<string> } {
  const p = rig.spawnGuard(['exec', '--', MARK, rig.marker, label], { timeoutMs: 120_000 });
  return { p, id: p.waitFor(ID).then((m) => m[1]!) };
}

describe.skipIf(postgresSkipReason() !== undefined)('guard hub: Teams', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'guard-hub-teams-'));
    pg = await startPostgres();
    flow = new Receiver('unused', respond);
    await flow.start();
    const config = join(dir, 'hub-config.yaml');
    writeFileSync(
      config,
      `channels:\n  retry: { attempts: 3, base_ms: 20, max_ms: 100 }\n  teams:\n    workflow_url_ref: env:GUARD_TEAMS_URL\n    mode: approval\n    allow_insecure_http: true\n    poll_interval_seconds: 1\n`,
    );
    const env = { GUARD_TEAMS_URL: `${flow.url}/workflows/abc/triggers/manual/run?sig=flow-secret` };
    replicas.push(
      await startReplica(pg, config, '127.0.0.1:0', env),
      await startReplica(pg, config, '127.0.0.1:0', env),
    );
    rig = await startHost(pg, replicas, replicas[0]!.url, HOST, undefined, {
      name: 'alice',
      flags: ['--email', 'alice@example.test'],
    });
  }, 300_000);
  afterAll(() => stopFleet({ rig, replicas, pg, dir, server: flow }));

  it('a takeover resumes polling the kept Location: no second card, Approve runs the command once', async () => {
    const one = raise('approve-me');
    const id = await one.id;
    await until(() => kept(id).includes('/runs/'), 'the Location kept in PostgreSQL');
    expect(cardsOf(id)).toHaveLength(1);
    // the Location carries the run's signature: kept in PostgreSQL, never in a replica's log
    expect(kept(id)).toContain('sig=run-secret');

    const owner = (await Promise.all(replicas.map((r) => health(r.url)))).findIndex(
      (s) => (s as { teamsOwner?: boolean } | undefined)?.teamsOwner === true,
    );
    expect(owner).toBeGreaterThanOrEqual(0);
    replicas[owner]!.child.kill('SIGKILL');
    const other = replicas[1 - owner]!;
    await until(
      async () => ((await health(other.url)) as { teamsOwner?: boolean } | undefined)?.teamsOwner === true,
      'the other replica owns Teams',
    );
    const polled = flow.received.length;
    // the new owner polls the kept Location (still waiting) rather than posting the card again
    await until(() => flow.received.slice(polled).some((r) => r.method === 'GET'), 'the new owner polls');
    answers.set(cardsOf(id)[0]!, { outcome: 'Approve', responder: { email: 'Alice@Example.test' }, comments: 'ok' });
    expect((await one.p.done).code).toBe(0);
    expect(rig.marks()).toHaveLength(1);
    expect(cardsOf(id)).toHaveLength(1);
    const recs = await rig.ledger();
    expect(of(recs, id, 'approval')[0]?.payload).toMatchObject({ approver: 'alice', channel: 'teams' });
    // answered: a later owner would not poll that run again
    await until(() => kept(id) === 'none', 'the answered Location dropped');
    for (const r of replicas) expect(r.log()).not.toContain('run-secret');
  }, 240_000);

  it('an e-mail the host does not map is relayed, refused by the daemon and recorded; nothing runs', async () => {
    const two = raise('approve-me');
    const id = await two.id;
    await until(() => cardsOf(id).length === 1, 'the card posted');
    answers.set(cardsOf(id)[0]!, { outcome: 'Approve', responder: { email: 'mallory@example.test' } });
    const recs = await rig.ledger((rs) => of(rs, id, 'approval_refused').length > 0);
    expect(of(recs, id, 'approval_refused')[0]?.payload).toMatchObject({
      channel: 'teams',
      identity: 'mallory@example.test',
      code: 'unknown-approver',
    });
    expect(of(recs, id, 'approval')).toHaveLength(0);
    expect((await rig.guard(['revoke', id])).code).toBe(0);
    expect((await two.p.done).code).toBe(76);
    expect(rig.marks()).toHaveLength(1);
  }, 120_000);
});
