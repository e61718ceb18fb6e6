/**
 * Vote delivery on a real PostgreSQL and the real poll route: a vote leased to a poll the host gave
 * up on is not stranded for its lease. The host polls one poll at a time, so a new poll lifts the
 * leases of votes it did not acknowledge; a poll whose connection is gone stops reading and lifts
 * what it read; a poll waiting while another holds a lease is told when the lease ends.
 */
import { generateKeyPairSync } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../src/hub/server.js';
import { HubStore, type HostRow } from '../../src/hub/store.js';
import { formatVkey, rawPublicKey, verifierKey } from '../../src/ledger/note.js';
import { formatPubkeyFile } from '../../src/ledger/pubkey.js';
import { postgresSkipReason, startPostgres, type Postgres } from '../helpers/postgres.js';

let db: Postgres;
let hub: Hub;
let pool: pg.Pool;
let store: HubStore;
let credential: string;
let host: HostRow;
let next = 1000;

/** A vote row for this host, as the Slack owner writes one (the poll does not look at the body). */
function addVote(): string {
  const id = String(next++);
  db.sql(
    `INSERT INTO votes (id, host_id, request_id, body, signature) VALUES (${id}, '${host.id}', 'rq-000000000000', '{}', 'x'); SELECT pg_notify('guard_votes', '${host.id}')`,
  );
  return id;
}

const leased = (id: string): boolean =>
  db.sql(`SELECT leased_until IS NOT NULL AND leased_until > now() FROM votes WHERE id = ${id}`).trim() === 't';

function poll(ack: string[], signal?: AbortSignal): Promise<Response> {
  return fetch(`${hub.url}/v1/votes/poll`, {
    method: 'POST',
    headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ack }),
    signal,
  });
}

describe.skipIf(postgresSkipReason() !== undefined)('hub vote leases', () => {
  beforeAll(async () => {
    db = await startPostgres();
    hub = await startHub({ databaseUrl: db.url, host: '127.0.0.1', port: 0, log: () => undefined });
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    store = new HubStore(pool);
    const token = await store.mintToken('votes-host');
    const k = generateKeyPairSync('ed25519');
    const ledgerKey = formatPubkeyFile(formatVkey(verifierKey('votes-host/ledger', rawPublicKey(k.publicKey))));
    const res = await fetch(`${hub.url}/v1/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, ledgerKey }),
    });
    credential = ((await res.json()) as { credential: string }).credential;
    host = (await store.authenticate(credential))!;
  });
  afterAll(async () => {
    await pool?.end();
    await hub?.stop();
    await db?.destroy();
  });

  it('a new poll gets at once a vote an earlier poll leased and the host never acknowledged', async () => {
    const id = addVote();
    expect((await store.pollVotes(host, [], true)).votes.map((v) => v.id)).toEqual([id]);
    // the same poll reading again: leased elsewhere, and it is told when the lease ends
    const again = await store.pollVotes(host, [], false);
    expect(again.votes).toEqual([]);
    expect(again.leaseEndsInMs).toBeGreaterThan(0);
    expect(again.leaseEndsInMs).toBeLessThanOrEqual(10_000);
    // the answer was lost: the host's next poll (fresh) gets it again, without waiting for the lease
    expect((await store.pollVotes(host, [], true)).votes.map((v) => v.id)).toEqual([id]);
    // acknowledged: consumed, never handed out again
    expect((await store.pollVotes(host, [id], true)).votes).toEqual([]);
    expect((await store.pollVotes(host, [], true)).votes).toEqual([]);
  });

  it('a vote added while a poll waits reaches it through the real route', async () => {
    const answer = poll([]);
    // the poll is waiting (registered with the hub's wake-ups) before the vote lands, or reads it
    // first: either way it answers with the vote
    const id = addVote();
    const res = await answer;
    expect(res.status).toBe(200);
    const { votes } = (await res.json()) as { votes: { id: string }[] };
    expect(votes.map((v) => v.id)).toEqual([id]);
    expect((await store.pollVotes(host, [id], true)).votes).toEqual([]);
  });

  it('a poll whose host went away does not keep a vote leased', async () => {
    const gone = new AbortController();
    const abandoned = poll([], gone.signal).catch((err: unknown) => err);
    // given up at once or while waiting: either way the hub must not strand a vote with it
    gone.abort();
    expect(await abandoned).toBeInstanceOf(Error);
    const id = addVote();
    // whatever the abandoned poll did with the wake-up, the vote is free or lifted by the next poll
    const res = await poll([]);
    const { votes } = (await res.json()) as { votes: { id: string }[] };
    expect(votes.map((v) => v.id)).toEqual([id]);
    expect(leased(id)).toBe(true);
    expect((await store.pollVotes(host, [id], true)).votes).toEqual([]);
  });

  it('lifts the lease of votes read for a poll that could not send them', async () => {
    const id = addVote();
    expect((await store.pollVotes(host, [], true)).votes.map((v) => v.id)).toEqual([id]);
    expect(leased(id)).toBe(true);
    await store.releaseVotes(host, [id]);
    expect(leased(id)).toBe(false);
    expect((await store.pollVotes(host, [], false)).votes.map((v) => v.id)).toEqual([id]);
    expect((await store.pollVotes(host, [id], true)).votes).toEqual([]);
  });
});
