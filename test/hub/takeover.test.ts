/**
 * A Slack takeover keeps the messages: the replica that owns Slack is killed with one request
 * posted, one it never managed to post and one whose last change it never managed to show. The
 * replica that takes over edits the old messages in place (their buttons approve), posts the one
 * missing, and shows the change the dead owner missed. Real PostgreSQL, two `guard hub start`
 * processes, a real daemon, the local Slack protocol server.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack, type ApiCall } from '../channels/fake-slack.js';
import { MARK, type Rig } from '../daemon/helpers.js';
import { postgresSkipReason, startPostgres, type Postgres } from '../helpers/postgres.js';
import { blockActions, health, hubConfig, startHost, startReplica, stopFleet, until, type Replica } from './fleet.js';

const ID = /request (rq-[0-9a-f]{12}) is waiting/;
const HOST = 'hub-t';

let pg: Postgres;
let slack: FakeSlack;
let dir: string;
let rig: Rig;
const replicas: Replica[] = [];

const mentions = (c: ApiCall, key: string): boolean => JSON.stringify(c.args).includes(`"${key}"`);
const postsOf = (key: string, from = 0): ApiCall[] =>
  slack.calls
    .slice(from)
    .filter((c) => c.method === 'chat.postMessage' && c.args['thread_ts'] === undefined && mentions(c, key));
const editsOf = (ts: string, from = 0): ApiCall[] =>
  slack.calls.slice(from).filter((c) => c.method === 'chat.update' && c.args['ts'] === ts);
/** The ts Slack gave the message of a request (the fake answers a post with a fresh ts, in order). */
function tsOf(requestId: string): string {
  return pg.sql(`SELECT ts FROM slack_messages WHERE request_id = '${requestId}'`).trim();
}

function raise(): { p: ReturnType<Rig['spawnGuard']>; id: Promise<string> } {
  const p = rig.spawnGuard(['exec', '--', MARK, rig.marker, 'approve-me'], { timeoutMs: 90_000 });
  return { p, id: p.waitFor(ID).then((m) => m[1]!) };
}

describe.skipIf(postgresSkipReason() !== undefined)('guard hub: Slack takeover', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'guard-hub-takeover-'));
    pg = await startPostgres();
    slack = new FakeSlack();
    await slack.start();
    const config = hubConfig(dir, slack);
    replicas.push(await startReplica(pg, config), await startReplica(pg, config));
    rig = await startHost(pg, replicas, replicas[0]!.url, HOST);
  }, 300_000);
  afterAll(() => stopFleet({ rig, replicas, pg, dir, server: slack }));

  it('edits the dead owner’s messages in place, posts what it never posted, shows what it missed', async () => {
    // 1: posted, and where it was posted is in PostgreSQL
    const one = raise();
    const id1 = await one.id;
    const key1 = `${id1}@${HOST}`;
    await until(() => pg.sql(`SELECT count(*) FROM slack_messages WHERE request_id = '${id1}'`).trim() === '1', 'kept');
    expect(postsOf(key1)).toHaveLength(1);
    const ts1 = tsOf(id1);

    // 2: never posted (Slack refuses every attempt of the owner: 3 in the hub's retry policy)
    slack.failing.set('chat.postMessage', 3);
    const two = raise();
    const id2 = await two.id;
    const key2 = `${id2}@${HOST}`;
    await until(() => postsOf(key2).length === 3, 'three failed posts');
    await until(() => slack.failing.get('chat.postMessage') === 0, 'failures used up');

    // 3: posted, then revoked while Slack refuses the edit: the message still shows Approve
    const three = raise();
    const id3 = await three.id;
    await until(() => pg.sql(`SELECT count(*) FROM slack_messages WHERE request_id = '${id3}'`).trim() === '1', 'kept');
    const ts3 = tsOf(id3);
    slack.failing.set('chat.update', 3);
    expect((await rig.guard(['revoke', id3])).code).toBe(0);
    expect((await three.p.done).code).toBe(76);
    await until(() => editsOf(ts3).length === 3, 'three failed edits');
    await until(() => slack.failing.get('chat.update') === 0, 'failures used up');
    expect(pg.sql(`SELECT state FROM requests WHERE request_id = '${id3}'`).trim()).toBe('revoked');

    // kill the owner; the other replica takes the lock and connects
    const states = await Promise.all(replicas.map((r) => health(r.url)));
    const owner = states.findIndex((s) => s?.slackOwner === true);
    expect(owner).toBeGreaterThanOrEqual(0);
    const opened = slack.connectionsOpened;
    const mark = slack.calls.length;
    replicas[owner]!.child.kill('SIGKILL');
    const other = replicas[1 - owner]!;
    await until(async () => (await health(other.url))?.slackOwner === true, 'the other replica owns Slack');
    await until(() => slack.connectionsOpened > opened && slack.openSockets === 1, 'Slack reconnected');

    // 2 is posted by the new owner; 3's old message is edited to show it is revoked
    await until(() => postsOf(key2, mark).length === 1, `${key2} posted by the new owner`);
    await until(() => editsOf(ts3, mark).length === 1, `${id3}'s message edited`);
    expect(JSON.stringify(editsOf(ts3, mark)[0]!.args)).toContain('Revoked');

    // 1's old message is the one clicked: approved, and that same message shows it
    slack.sendInteractive(blockActions(key1));
    expect((await one.p.done).code).toBe(0);
    await until(
      () => editsOf(ts1, mark).some((c) => JSON.stringify(c.args).includes('Approved')),
      `${id1} shown approved`,
    );
    slack.sendInteractive(blockActions(key2));
    expect((await two.p.done).code).toBe(0);

    // nothing was posted twice
    expect(postsOf(key1)).toHaveLength(1);
    expect(postsOf(key2, mark)).toHaveLength(1);
    expect(postsOf(`${id3}@${HOST}`)).toHaveLength(1);
    expect(rig.marks()).toHaveLength(2);
  }, 240_000);
});
