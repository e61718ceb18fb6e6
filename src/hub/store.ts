/**
 * Every query the hub makes. All shared state lives in PostgreSQL; a replica keeps nothing that
 * another replica would need. Notifications (`guard_requests`, `guard_votes`) only wake readers,
 * who then re-read by query: a lost notification delays, never loses.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { RequestView } from '../channels/types.js';
import { GRANT_ACTIONS, newVoteKeyPem, signVote, voteVersion, type VoteBody } from './vote.js';
import { grantUntil } from './grants.js';

export const HOST_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * A pooled client for a transaction. Between two statements no query is active, and node-postgres
 * then reports a lost connection as an 'error' event: without a listener that would end the process.
 */
export async function checkout(pool: Pool): Promise<PoolClient> {
  const client = await pool.connect();
  const ignore = (): void => undefined; // the next statement on it fails and says why
  client.on('error', ignore);
  const release = client.release.bind(client);
  client.release = (err?: Error | boolean) => {
    client.off('error', ignore);
    release(err);
  };
  return client;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export interface HostRow {
  id: string;
  name: string;
}

/** One read of a host's votes; `leaseEndsInMs` when none is free but one leased elsewhere frees then. */
export interface VotePoll {
  votes: StoredVote[];
  leaseEndsInMs?: number;
}

export interface StoredVote {
  id: string;
  body: VoteBody;
  signature: string;
}

export class HubStore {
  constructor(readonly pool: Pool) {}

  /** Runs fn in one transaction (rolled back if it throws). */
  async tx<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await checkout(this.pool);
    let failed = false;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      failed = true;
      throw err;
    } finally {
      // a client that failed may have lost its connection: dropped, not returned to the pool
      client.release(failed);
    }
  }

  /** The hub's vote key, created once (the first replica to get here wins; the others read it). */
  async voteKey(): Promise<{ privatePem: string; publicKey: string }> {
    const fresh = newVoteKeyPem();
    await this.pool.query(
      `INSERT INTO hub_keys (name, private_pem, public_key) VALUES ('vote', $1, $2) ON CONFLICT (name) DO NOTHING`,
      [fresh.privatePem, fresh.publicKey],
    );
    const r = await this.pool.query<{ private_pem: string; public_key: string }>(
      `SELECT private_pem, public_key FROM hub_keys WHERE name = 'vote'`,
    );
    const row = r.rows[0];
    if (row === undefined) throw new Error('the hub vote key is missing');
    return { privatePem: row.private_pem, publicKey: row.public_key };
  }

  /** Admin side of enrolment: a one-time token for a host name not yet enrolled. */
  async mintToken(hostName: string): Promise<string> {
    if (!HOST_NAME.test(hostName)) throw new Error('a host name is lowercase letters, digits and - (max 63)');
    const taken = await this.pool.query('SELECT 1 FROM hosts WHERE name = $1', [hostName]);
    if (taken.rowCount !== 0) throw new Error(`host ${hostName} is already enrolled`);
    const token = `ghe_${randomBytes(24).toString('base64url')}`;
    await this.pool.query('INSERT INTO enroll_tokens (token_sha256, host_name) VALUES ($1, $2)', [
      sha256(token),
      hostName,
    ]);
    return token;
  }

  /** Host side: a token is exchanged once for a credential; the host's ledger key is pinned. */
  async redeem(
    token: string,
    ledgerKey: string | undefined,
  ): Promise<{ host: HostRow; credential: string } | undefined> {
    return this.tx(async (client) => {
      const t = await client.query<{ host_name: string }>(
        'UPDATE enroll_tokens SET used_at = now() WHERE token_sha256 = $1 AND used_at IS NULL RETURNING host_name',
        [sha256(token)],
      );
      const name = t.rows[0]?.host_name;
      if (name === undefined) {
        return undefined;
      }
      const id = `h-${randomBytes(8).toString('hex')}`;
      const secret = randomBytes(32).toString('base64url');
      await client.query('INSERT INTO hosts (id, name, credential_sha256, ledger_key) VALUES ($1, $2, $3, $4)', [
        id,
        name,
        sha256(secret),
        ledgerKey ?? null,
      ]);
      return { host: { id, name }, credential: `${id}.${secret}` };
    });
  }

  /** The host a bearer credential belongs to, or undefined. */
  async authenticate(credential: string): Promise<HostRow | undefined> {
    const m = /^(h-[0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/.exec(credential);
    if (m === null) return undefined;
    const r = await this.pool.query<{ id: string; name: string; credential_sha256: string }>(
      'SELECT id, name, credential_sha256 FROM hosts WHERE id = $1',
      [m[1]],
    );
    const row = r.rows[0];
    if (row === undefined) return undefined;
    const ok = timingSafeEqual(Buffer.from(row.credential_sha256, 'hex'), Buffer.from(sha256(m[2]!), 'hex'));
    if (!ok) return undefined;
    // the heartbeat: every authenticated call says the host is alive
    await this.pool.query('UPDATE hosts SET last_seen = now() WHERE id = $1', [row.id]);
    return { id: row.id, name: row.name };
  }

  /** Every enrolled host with its last authenticated call (the heartbeat) and open requests. */
  async hosts(): Promise<
    { name: string; id: string; lastSeen: string | null; open: number; flagged: string | null }[]
  > {
    const r = await this.pool.query<{
      name: string;
      id: string;
      last_seen: Date | null;
      open: string;
      flagged: string | null;
    }>(
      `SELECT h.name, h.id, h.last_seen, h.flagged,
         (SELECT count(*) FROM requests r WHERE r.host_id = h.id AND r.state IN ('pending', 'needs_info'))::text AS open
       FROM hosts h ORDER BY h.name`,
    );
    return r.rows.map((x) => ({
      name: x.name,
      id: x.id,
      lastSeen: x.last_seen === null ? null : x.last_seen.toISOString(),
      open: Number(x.open),
      flagged: x.flagged,
    }));
  }

  async putRequest(host: HostRow, view: RequestView): Promise<void> {
    await this.pool.query(
      `INSERT INTO requests (host_id, request_id, state, view, grant_until) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (host_id, request_id) DO UPDATE
         SET state = EXCLUDED.state, view = EXCLUDED.view, grant_until = EXCLUDED.grant_until,
           rev = nextval('request_rev'), updated_at = now()`,
      [host.id, view.id, view.state, JSON.stringify(view), grantUntil(view)],
    );
    await this.pool.query(`SELECT pg_notify('guard_requests', $1)`, [host.id]);
  }

  /** Requests changed after `rev` (all hosts: the channel owner's view), oldest change first. */
  async changedSince(
    rev: string,
    openOnly: boolean,
  ): Promise<{ rev: string; hostName: string; hostId: string; view: RequestView }[]> {
    const r = await this.pool.query<{ rev: string; name: string; host_id: string; view: RequestView }>(
      `SELECT r.rev::text AS rev, h.name, r.host_id, r.view FROM requests r JOIN hosts h ON h.id = r.host_id
       WHERE r.rev > $1 ${openOnly ? `AND r.state IN ('pending', 'needs_info')` : ''} ORDER BY r.rev LIMIT 500`,
      [rev],
    );
    return r.rows.map((x) => ({ rev: x.rev, hostName: x.name, hostId: x.host_id, view: x.view }));
  }

  /**
   * Records a channel vote for a host's request, signed with the vote key; wakes that host. An
   * extension or revocation of its grant (decision 1103) is a vote of its own version.
   */
  async addVote(
    hostName: string,
    requestId: string,
    vote: Omit<VoteBody, 'v' | 'vote' | 'host' | 'requestId' | 'at'>,
    privatePem: string,
  ): Promise<string | undefined> {
    return this.tx(async (client) => {
      const req = await client.query<{ host_id: string; state: string; live: boolean }>(
        `SELECT r.host_id, r.state, coalesce(r.grant_until > now(), false) AS live
           FROM requests r JOIN hosts h ON h.id = r.host_id WHERE h.name = $1 AND r.request_id = $2`,
        [hostName, requestId],
      );
      const row = req.rows[0];
      if (row === undefined) {
        return `no request ${requestId} from host ${hostName}`;
      }
      // an extension or revocation only of a grant the host last said is live (the host checks again)
      if (GRANT_ACTIONS.includes(vote.action) && !row.live)
        return `request ${requestId} of host ${hostName} has no live grant to ${vote.action}`;
      const id = (await client.query<{ id: string }>(`SELECT nextval('votes_id_seq')::text AS id`)).rows[0]!.id;
      const body: VoteBody = {
        v: voteVersion(vote),
        vote: id,
        host: row.host_id,
        requestId,
        ...vote,
        at: new Date().toISOString(),
      };
      const clean = JSON.parse(JSON.stringify(body)) as VoteBody;
      await client.query('INSERT INTO votes (id, host_id, request_id, body, signature) VALUES ($1, $2, $3, $4, $5)', [
        id,
        row.host_id,
        requestId,
        JSON.stringify(clean),
        signVote(clean, privatePem),
      ]);
      await client.query(`SELECT pg_notify('guard_votes', $1)`, [row.host_id]);
      return undefined;
    });
  }

  /** Lifts the lease of votes read for a poll whose host had gone before they could be sent. */
  async releaseVotes(host: HostRow, ids: string[]): Promise<void> {
    await this.tx((client) =>
      client.query(
        'UPDATE votes SET leased_until = NULL WHERE host_id = $1 AND id = ANY($2::bigint[]) AND consumed_at IS NULL',
        [host.id, ids],
      ),
    );
  }

  /**
   * One read of a host's votes for its long poll: marks the ones the host acknowledged as consumed,
   * then leases the open ones with `FOR UPDATE SKIP LOCKED`, so two polls of one host (a reconnect
   * racing the old poll, on two replicas) never hand out the same vote together. A host polls one
   * poll at a time, so on the first read of a new poll (`fresh`) a vote still leased and not
   * acknowledged was lost with a poll the host gave up on: its lease is lifted at once. A vote leased
   * by a poll that is still running elsewhere is handed out again once its lease ends; `leaseEndsInMs`
   * says when, so a waiting poll re-reads then. The daemon ignores a vote id it has already handled.
   */
  async pollVotes(host: HostRow, ack: string[], fresh: boolean): Promise<VotePoll> {
    return this.tx(async (client) => {
      if (ack.length > 0)
        await client.query(
          'UPDATE votes SET consumed_at = now() WHERE host_id = $1 AND id = ANY($2::bigint[]) AND consumed_at IS NULL',
          [host.id, ack],
        );
      if (fresh)
        await client.query(
          'UPDATE votes SET leased_until = NULL WHERE host_id = $1 AND consumed_at IS NULL AND leased_until IS NOT NULL',
          [host.id],
        );
      const r = await client.query<{ id: string; body: VoteBody; signature: string }>(
        `UPDATE votes SET leased_until = now() + interval '10 seconds' WHERE id IN (
           SELECT id FROM votes WHERE host_id = $1 AND consumed_at IS NULL
             AND (leased_until IS NULL OR leased_until < now())
           ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED)
         RETURNING id::text AS id, body, signature`,
        [host.id],
      );
      r.rows.sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)));
      if (r.rows.length > 0) return { votes: r.rows };
      const lease = await client.query<{ ms: number | null }>(
        `SELECT ceil(extract(epoch FROM min(leased_until) - now()) * 1000)::float8 AS ms
           FROM votes WHERE host_id = $1 AND consumed_at IS NULL AND leased_until >= now()`,
        [host.id],
      );
      const ms = lease.rows[0]?.ms ?? null;
      return ms === null ? { votes: [] } : { votes: [], leaseEndsInMs: Math.max(0, ms) };
    });
  }
}
