/**
 * guard hub end to end, on a real PostgreSQL: two hub replicas, three daemons (each its own
 * GUARD_HOME, enrolled through the CLI), and the local Slack protocol server. A click approves the
 * right host's request; the replica owning Slack is killed and the other takes over; a vote the
 * hub did not sign is refused and recorded by the daemon; PostgreSQL is killed and held commands
 * never run while allowed ones do, and everything resumes when it returns.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../channels/fake-slack.js';
import { MARK, type LedgerRow, type Rig } from '../daemon/helpers.js';
import { postgresSkipReason, startPostgres, type Postgres } from '../helpers/postgres.js';
import { MIGRATIONS } from '../../src/hub/migrations.js';
import { signVote, type VoteBody } from '../../src/hub/vote.js';
import { blockActions, health, hubConfig, startHost, startReplica, until, type Replica } from './fleet.js';

const ID = /request (rq-[0-9a-f]{12}) is waiting/;
const HOSTS = ['hub-a', 'hub-b', 'hub-c'];

let pg: Postgres;
let slack: FakeSlack;
let dir: string;
let config: string;
const replicas: Replica[] = [];
const rigs: Rig[] = [];

function posted(key: string): boolean {
  return slack.callsOf('chat.postMessage').some((c) => JSON.stringify(c.args).includes(`"${key}"`));
}

const tail = (text: string, n: number): string => text.split('\n').slice(-n).join('\n');

/** What the replicas and daemons logged, what Slack was told, and the hub's rows: put into a failure's message. */
function diagnostics(lines = 40): string {
  const parts = replicas.map((r, i) => `--- replica ${i}\n${tail(r.log(), lines)}`);
  for (const [i, r] of rigs.entries())
    parts.push(
      `--- daemon ${HOSTS[i]!}\n${tail(readFileSync(join(r.env['GUARD_HOME']!, 'daemon.log'), 'utf8'), lines)}`,
    );
  parts.push(
    `--- Slack ephemerals\n${slack
      .callsOf('chat.postEphemeral')
      .map((c) => String(c.args['text']))
      .join('\n')}`,
  );
  try {
    parts.push(
      `--- votes\n${pg.sql('SELECT id, host_id, request_id, created_at, leased_until, consumed_at FROM votes ORDER BY id')}`,
      `--- requests\n${tail(pg.sql('SELECT host_id, request_id, state, updated_at FROM requests ORDER BY rev'), lines)}`,
    );
  } catch (err) {
    parts.push(`the hub's rows could not be read: ${(err as Error).message}`);
  }
  return parts.join('\n');
}

/** Raises an approve-me request on host i, clicks Approve in Slack, and returns how it ended. */
async function approveThroughSlack(i: number, timeoutMs?: number): Promise<{ code: number | null; id: string }> {
  const rig = rigs[i]!;
  const started = Date.now();
  const p = rig.spawnGuard(['exec', '--', MARK, rig.marker, 'approve-me'], { timeoutMs });
  const [, id] = await p.waitFor(ID);
  const waiting = Date.now();
  const key = `${id!}@${HOSTS[i]!}`;
  await until(() => posted(key), `${key} posted in Slack`);
  const shown = Date.now();
  slack.sendInteractive(blockActions(key));
  const r = await p.done;
  // where the time went, for a failure's message
  const phases = `held after ${waiting - started} ms, posted after ${shown - waiting} ms, ended ${Date.now() - shown} ms after the click`;
  return { code: r.code, id: `${id!} (${phases})` };
}

describe.skipIf(postgresSkipReason() !== undefined)('guard hub', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'guard-hub-'));
    pg = await startPostgres();
    slack = new FakeSlack();
    await slack.start();
    config = hubConfig(dir, slack);
    // two replicas started together: the migrations are applied once, under the advisory lock
    replicas.push(...(await Promise.all([startReplica(pg, config), startReplica(pg, config)])));
    for (const name of HOSTS) rigs.push(await startHost(pg, replicas, replicas[(rigs.length + 1) % 2]!.url, name));
    // a whole fleet (PostgreSQL, two replicas, three daemons) on a shared, loaded machine
  }, 300_000);
  let failed = false;
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });
  afterAll(async () => {
    // after a failure (or with HUB_DEBUG=1): what the replicas and daemons logged, and the hub's rows
    if (failed || process.env['HUB_DEBUG'] !== undefined) console.log(diagnostics());
    for (const r of rigs) await r.cleanup();
    for (const r of replicas) r.child.kill('SIGKILL');
    await slack?.stop();
    await pg?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies each migration once although two replicas started together', () => {
    expect(pg.sql('SELECT version, count(*) FROM schema_migrations GROUP BY version ORDER BY version')).toBe(
      MIGRATIONS.map((m) => `${m.version}|1\n`).join(''),
    );
  });

  it('refuses a host credential it does not know, and a used enrolment token', async () => {
    const res = await fetch(`${replicas[0]!.url}/v1/votes/poll`, {
      method: 'POST',
      headers: { authorization: 'Bearer h-0000000000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
      body: '{"ack":[]}',
    });
    expect(res.status).toBe(401);
    const again = await rigs[0]!.guard([
      'hub',
      'join',
      '--hub',
      replicas[0]!.url,
      '--token-file',
      join(rigs[0]!.home, 'hub-token'),
    ]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/unknown or already used/);
  });

  it("turns each click into a vote for the right host's request, across replicas and a Slack takeover", async () => {
    const rounds = Number(process.env['HUB_ROUNDS'] ?? 5);
    for (let round = 0; round < rounds * 2; round++) {
      if (round === rounds) {
        // kill the replica that owns the Slack connection: the other takes the lock and connects
        const states = await Promise.all(replicas.map((r) => health(r.url)));
        const owner = states.findIndex((s) => s?.slackOwner === true);
        expect(owner).toBeGreaterThanOrEqual(0);
        const opened = slack.connectionsOpened;
        replicas[owner]!.child.kill('SIGKILL');
        const other = replicas[1 - owner]!;
        await until(async () => (await health(other.url))?.slackOwner === true, 'the other replica owns Slack');
        await until(() => slack.connectionsOpened > opened && slack.openSockets === 1, 'Slack reconnected');
      }
      const results = await Promise.all(HOSTS.map((_, i) => approveThroughSlack(i)));
      for (const r of results) expect(r.code, r.code === 0 ? r.id : `${r.id}\n${diagnostics()}`).toBe(0);
    }
    // every host ran exactly its own requests, each approved by bob through the hub
    for (const rig of rigs) {
      expect(rig.marks()).toHaveLength(rounds * 2);
      const approvals = (await rig.ledger()).filter((x) => x.type === 'approval');
      expect(approvals).toHaveLength(rounds * 2);
      for (const a of approvals)
        expect(a.payload).toMatchObject({
          approver: 'bob',
          channel: 'slack',
          identity: 'U0BOB',
          verifiedBy: 'hub+slack:T1',
        });
    }
  }, 300_000);

  it('refuses and records a vote the hub did not sign; the request stays pending', async () => {
    const rig = rigs[0]!;
    const p = rig.exec('approve-me');
    const [, id] = await p.waitFor(ID);
    const key = `${id!}@${HOSTS[0]!}`;
    await until(() => posted(key), 'posted');
    const hostId = pg.sql(`SELECT id FROM hosts WHERE name = '${HOSTS[0]!}'`).trim();
    // a hostile hub (or anyone writing its database) inserts an approval without the vote key
    const body = JSON.stringify({
      v: 1,
      vote: '999999',
      host: hostId,
      requestId: id,
      action: 'approve',
      identity: { channel: 'slack', id: 'U0BOB', display: 'bob', verifiedBy: 'hub+slack:T1' },
      at: new Date().toISOString(),
    });
    pg.sql(
      `INSERT INTO votes (id, host_id, request_id, body, signature) VALUES (999999, '${hostId}', '${id!}', '${body}', '${Buffer.alloc(64).toString('base64')}'); SELECT pg_notify('guard_votes', '${hostId}')`,
    );
    const recs = await rig.ledger((x) => x.some((y) => y.type === 'approval_refused' && y.payload['requestId'] === id));
    expect(
      recs.filter((x) => x.type === 'approval_refused' && x.payload['requestId'] === id).map((x) => x.payload),
    ).toEqual([expect.objectContaining({ channel: 'hub', code: 'hub-signature', vote: '999999' }) as unknown]);
    expect(recs.some((x) => x.type === 'approval' && x.payload['requestId'] === id)).toBe(false);
    expect((await rig.guard(['revoke', id!])).code).toBe(0);
    expect((await p.done).code).toBe(76);
  });

  it("refuses and records a correctly signed vote that names another host's request", async () => {
    const rig = rigs[2]!;
    const p = rig.exec('approve-me');
    const [, id] = await p.waitFor(ID);
    await until(() => posted(`${id!}@${HOSTS[2]!}`), 'posted');
    const [mine, other] = [HOSTS[2]!, HOSTS[0]!].map((n) => pg.sql(`SELECT id FROM hosts WHERE name = '${n}'`).trim());
    const pem = pg.sql(`SELECT private_pem FROM hub_keys WHERE name = 'vote'`).trim();
    // signed with the real vote key, but for another host: delivered to this one, it must not count
    const body: VoteBody = {
      v: 1,
      vote: '999998',
      host: other!,
      requestId: id!,
      action: 'approve',
      identity: { channel: 'slack', id: 'U0BOB', display: 'bob', verifiedBy: 'hub+slack:T1' },
      at: new Date().toISOString(),
    };
    pg.sql(
      `INSERT INTO votes (id, host_id, request_id, body, signature) VALUES (999998, '${mine!}', '${id!}', '${JSON.stringify(body)}', '${signVote(body, pem)}'); SELECT pg_notify('guard_votes', '${mine!}')`,
    );
    const recs = await rig.ledger((x) => x.some((y) => y.type === 'approval_refused' && y.payload['requestId'] === id));
    expect(
      recs.filter((x) => x.type === 'approval_refused' && x.payload['requestId'] === id).map((x) => x.payload),
    ).toEqual([expect.objectContaining({ channel: 'hub', code: 'hub-wrong-host', vote: '999998' }) as unknown]);
    expect(recs.some((x) => x.type === 'approval' && x.payload['requestId'] === id)).toBe(false);
    expect((await rig.guard(['revoke', id!])).code).toBe(0);
    expect((await p.done).code).toBe(76);
  });

  it('refuses and records a correctly signed vote naming an identity no hub vouches for; the request stays pending', async () => {
    const rig = rigs[2]!;
    const p = rig.exec('approve-me');
    const [, id] = await p.waitFor(ID);
    await until(() => posted(`${id!}@${HOSTS[2]!}`), 'posted');
    const hostId = pg.sql(`SELECT id FROM hosts WHERE name = '${HOSTS[2]!}'`).trim();
    const pem = pg.sql(`SELECT private_pem FROM hub_keys WHERE name = 'vote'`).trim();
    // the hub's own key, but an identity that would read in the ledger as verified by this host's own
    // Slack or its own web page, and one nothing vouches for
    const identities: VoteBody['identity'][] = [
      { channel: 'slack', id: 'U0BOB', display: 'bob', verifiedBy: 'slack:T1' },
      { channel: 'web', id: 'bob', verifiedBy: 'idp:https://idp.example' },
      { channel: 'slack', id: 'U0BOB' },
    ];
    identities.forEach((identity, i) => {
      const vote = String(999990 + i);
      const body: VoteBody = {
        v: 1,
        vote,
        host: hostId,
        requestId: id!,
        action: 'approve',
        identity,
        at: new Date().toISOString(),
      };
      pg.sql(
        `INSERT INTO votes (id, host_id, request_id, body, signature) VALUES (${vote}, '${hostId}', '${id!}', '${JSON.stringify(body)}', '${signVote(body, pem)}'); SELECT pg_notify('guard_votes', '${hostId}')`,
      );
    });
    const refused = (x: LedgerRow[]) =>
      x.filter((y) => y.type === 'approval_refused' && y.payload['requestId'] === id).map((y) => y.payload);
    const recs = await rig.ledger((x) => refused(x).length >= 3);
    expect(refused(recs).map((r) => [r['vote'], r['code']])).toEqual([
      ['999990', 'hub-malformed'],
      ['999991', 'hub-malformed'],
      ['999992', 'hub-malformed'],
    ]);
    expect(recs.some((x) => x.type === 'approval' && x.payload['requestId'] === id)).toBe(false);
    expect((await rig.guard(['revoke', id!])).code).toBe(0);
    expect((await p.done).code).toBe(76);
  });

  it('lists every host with its heartbeat (last call to the hub) and open requests', async () => {
    const r = await rigs[0]!.guard(['hub', 'hosts', '--json'], {
      env: { ...rigs[0]!.env, GUARD_HUB_DATABASE_URL: pg.url },
    });
    expect(r.code, r.stderr).toBe(0);
    const hosts = JSON.parse(r.stdout) as { name: string; lastSeen: string | null; open: number }[];
    expect(hosts.map((h) => h.name)).toEqual(HOSTS);
    // each daemon polls the hub: its heartbeat is a real time, not null
    for (const h of hosts) expect(Number.isNaN(Date.parse(h.lastSeen ?? ''))).toBe(false);
  });

  it('with PostgreSQL down, held commands wait and expire and allowed ones run; all resumes after', async () => {
    const rig = rigs[1]!;
    const before = rig.marks().length;
    await pg.kill();
    const allowed = await rig.exec('harmless').done;
    expect(allowed.code).toBe(0);
    const held = await rig.exec('expire-me').done;
    expect(held.code).toBe(76);
    expect(rig.marks()).toHaveLength(before + 1);
    await pg.start();
    // the client gets more than the rule's whole time: how the request ends is the rule's to say
    const r = await approveThroughSlack(1, 90_000);
    expect(r.code, r.code === 0 ? r.id : `${r.id}\n${diagnostics()}`).toBe(0);
    expect(rig.marks()).toHaveLength(before + 2);
  }, 180_000);
});
