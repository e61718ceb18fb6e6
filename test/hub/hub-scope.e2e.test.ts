/**
 * Scoped grants chosen on the hub's Slack (issue #23, decision 1090), end to end: a real PostgreSQL,
 * a real `guard hub start` owning the local Slack protocol server's connection, and a real daemon
 * joined to it with a rule that allows scoped grants. The hub's message offers the same wider grants
 * as the daemon's own Slack, each beside its exact scope text; a click travels as a hub-signed vote
 * carrying the choice, and the daemon rebuilds the grant against its own request and checks it
 * against the rule's bounds: "3 uses" runs three commands and holds the fourth; a forged button
 * value beyond the bounds, and a hub-signed vote with a malformed scope, are refused and recorded.
 * A vote with a scope is signed under its own domain, so a daemon that predates the field refuses it.
 */
import { verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pgClient from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubStore } from '../../src/hub/store.js';
import { newVoteKeyPem, parseVoteKey, signVote, voteSignatureValid, type VoteBody } from '../../src/hub/vote.js';
import { canonicalBytes } from '../../src/util/canonical.js';
import { FakeSlack } from '../channels/fake-slack.js';
import { clickAs, postOf, shownText } from '../channels/slack-scope.js';
import type { LedgerRow, Rig } from '../daemon/helpers.js';
import { postgresSkipReason, startPostgres, type Postgres } from '../helpers/postgres.js';
import { heldIn, runIn, SCOPED_POLICY } from '../helpers/scoped-rule.js';
import { BOB, CHANNEL, hubConfig, startHost, startReplica, type Replica } from './fleet.js';

const HOST = 'hscope-a';

const records = (recs: LedgerRow[], id: string, type: string) =>
  recs.filter((r) => r.type === type && r.payload['requestId'] === id);

describe.skipIf(postgresSkipReason() !== undefined)("scoped grants through the hub's Slack", () => {
  let pg: Postgres;
  let slack: FakeSlack;
  let dir: string;
  let replica: Replica;
  let rig: Rig;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'guard-hub-scope-'));
    pg = await startPostgres();
    slack = new FakeSlack();
    await slack.start();
    replica = await startReplica(pg, hubConfig(dir, slack));
    rig = await startHost(pg, [replica], replica.url, HOST, SCOPED_POLICY);
  }, 300_000);

  afterAll(async () => {
    await rig?.cleanup();
    replica?.child.kill('SIGKILL');
    await slack?.stop();
    await pg?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (key: string) => postOf(slack, key);
  const click = (ts: string, actionId: string, value: string) => clickAs(slack, BOB, CHANNEL, ts, actionId, value);

  it('offers the rule\'s wider grants; "3 uses" clicked on the hub grants exactly that text: three runs, the fourth held', async () => {
    const id = await heldIn(rig, 'S-1', 'three-me');
    const key = `${id}@${HOST}`;
    const { blocks, ts } = await post(key);
    const scoped = blocks.filter((b) => b.accessory?.action_id.startsWith('guard_approve_scope_') === true);
    expect(scoped.map((b) => b.accessory!.text.text)).toEqual([
      'Approve 3 uses',
      'Approve for 1 h',
      'Approve this agent session',
    ]);
    const three = scoped[0]!;
    const shown = shownText(three);
    expect(shown).toMatch(/^exactly `.*three-me` in .* by \S+ \(agent claude-code\), at most 3 uses within 15 min$/);
    expect(three.accessory!.value).toBe(`${key} u3-t900`);

    click(ts, three.accessory!.action_id, three.accessory!.value);
    const recs = await rig.ledger((rs) => records(rs, id, 'approval').length > 0);
    const approval = records(recs, id, 'approval')[0]!.payload;
    expect(approval).toMatchObject({
      approver: 'bob',
      action: 'approve',
      channel: 'slack',
      identity: BOB.id,
      verifiedBy: 'hub+slack:T1',
    });
    // the daemon's own text, rebuilt from its own request, is the text the hub showed
    expect(approval['grant']).toEqual({ uses: 3, ttlSeconds: 900, scope: shown });
    expect(pg.sql(`SELECT body->>'v', body->>'scope' FROM votes WHERE request_id = '${id}'`).trim()).toBe('2|u3-t900');

    for (let i = 0; i < 3; i++) expect((await runIn(rig, 'S-1', 'three-me')).code).toBe(0);
    expect(rig.marks()).toHaveLength(3);
    expect((await runIn(rig, 'S-1', 'three-me')).code).toBe(75);
    expect(rig.marks()).toHaveLength(3);
  }, 180_000);

  it('a forged button value beyond the bounds travels to the host, which refuses and records it: nothing granted', async () => {
    const id = await heldIn(rig, 'S-2', 'three-me', 'forged');
    const key = `${id}@${HOST}`;
    const { blocks, ts } = await post(key);
    const button = blocks.find((b) => b.accessory?.text.text === 'Approve 3 uses')!.accessory!;
    click(ts, button.action_id, `${key} u1000-t900`);
    const recs = await rig.ledger((rs) => records(rs, id, 'approval_refused').length > 0);
    expect(records(recs, id, 'approval_refused')[0]!.payload).toMatchObject({
      code: 'grant-refused',
      channel: 'slack',
      approver: 'bob',
      verifiedBy: 'hub+slack:T1',
      reason: 'uses must be 1–3 (policy max_uses)',
      grant: expect.objectContaining({ uses: 1000, ttlSeconds: 900 }) as unknown,
    });
    expect(records(recs, id, 'approval')).toHaveLength(0);
    expect((await rig.guard(['show', id])).stdout).toMatch(/pending/);
  }, 180_000);

  it('a hub-signed vote whose scope is not a token guard sends is refused and recorded by the host', async () => {
    const id = await heldIn(rig, 'S-3', 'three-me', 'malformed');
    await post(`${id}@${HOST}`);
    const pem = pg.sql(`SELECT private_pem FROM hub_keys WHERE name = 'vote'`).trim();
    const pool = new pgClient.Pool({ connectionString: pg.url, max: 1 });
    try {
      // the hub's vote key itself (a compromised hub): a scope that is no choice the rule offers
      const identity = { channel: 'slack', id: BOB.id, display: 'bob', verifiedBy: 'hub+slack:T1' };
      const store = new HubStore(pool);
      expect(await store.addVote(HOST, id, { action: 'approve', identity, scope: 'u3-t900-all' }, pem)).toBeUndefined();
    } finally {
      await pool.end();
    }
    const recs = await rig.ledger((rs) => records(rs, id, 'approval_refused').length > 0);
    expect(records(recs, id, 'approval_refused')[0]!.payload).toMatchObject({
      channel: 'hub',
      code: 'grant-refused',
      scope: 'u3-t900-all',
      reason: 'the chosen grant is not one guard offers (malformed choice)',
    });
    expect(records(recs, id, 'approval')).toHaveLength(0);
    expect((await rig.guard(['show', id])).stdout).toMatch(/pending/);
  }, 180_000);
});

describe('hub votes carrying a scope: the signature', () => {
  const { privatePem, publicKey } = newVoteKeyPem();
  const key = parseVoteKey(publicKey);
  const body = (extra: Partial<VoteBody>): VoteBody => ({
    v: 1,
    vote: '7',
    host: 'h-0000000000000000',
    requestId: 'rq-000000000000',
    action: 'approve',
    identity: { channel: 'slack', id: 'U0BOB' },
    at: '2026-01-01T00:00:00.000Z',
    ...extra,
  });
  /** How a daemon that predates the scope field verifies every vote: the v1 domain, whatever the body says. */
  const oldDaemonAccepts = (b: VoteBody, signature: string): boolean =>
    verify(
      null,
      Buffer.concat([Buffer.from('guard-hub-vote-v1\n'), canonicalBytes(JSON.parse(JSON.stringify(b)))]),
      key,
      Buffer.from(signature, 'base64'),
    );

  it('a vote without a scope is signed as before (old daemons still accept it)', () => {
    const b = body({});
    const sig = signVote(b, privatePem);
    expect(voteSignatureValid(b, sig, key)).toBe(true);
    expect(oldDaemonAccepts(b, sig)).toBe(true);
  });

  it('a vote with a scope is v2 under its own domain: an old daemon refuses it rather than counting it as "once"', () => {
    const b = body({ v: 2, scope: 'u3-t900' });
    const sig = signVote(b, privatePem);
    expect(voteSignatureValid(b, sig, key)).toBe(true);
    expect(oldDaemonAccepts(b, sig)).toBe(false);
    // the scope cannot be stripped or moved to a v1 body under the same signature
    const { scope: _gone, ...stripped } = b;
    expect(voteSignatureValid({ ...stripped, v: 2 }, sig, key)).toBe(false);
    expect(voteSignatureValid({ ...stripped, v: 1 }, sig, key)).toBe(false);
    expect(voteSignatureValid({ ...b, v: 1 }, sig, key)).toBe(false);
  });

  it('the hub signs no scope in a v1 body, nor a v2 body without one', () => {
    expect(() => signVote(body({ scope: 'u3-t900' }), privatePem)).toThrow(/malformed/);
    expect(() => signVote(body({ v: 2 }), privatePem)).toThrow(/malformed/);
  });
});
