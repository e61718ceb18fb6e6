/**
 * `guard tui --hub` end to end on a real PostgreSQL (decision 1049): one hub replica, one real
 * daemon host with bob enrolled as its approver. The host distributes bob's public key to the hub;
 * bob, signing each call with his approver key, reads the fleet's open requests (host shown) and
 * sends a decision signed exactly as `guard approve` signs it; the daemon checks it against its own
 * registry and the command runs. A forged signature, a decision for another request's fingerprint,
 * and a vote a hostile hub makes up for an unknown approver are refused by the daemon and recorded.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApproverKey } from '../../src/approval/keys.js';
import type { SignedDecision } from '../../src/approval/types.js';
import { approverHeaders } from '../../src/hub/approver-auth.js';
import { signVote, type VoteBody } from '../../src/hub/vote.js';
import { HubBackend, hubLogin } from '../../src/tui/hub-backend.js';
import { fleetHostOf } from '../../src/tui/format.js';
import type { Action } from '../../src/tui/reducer.js';
import type { RequestView } from '../../src/channels/types.js';
import { MARK, type Rig } from '../daemon/helpers.js';
import { postgresSkipReason, type Postgres } from '../helpers/postgres.js';
import { bobSession, startBobFleet, stopBobFleet } from './bob-fleet.js';
import { until, type Replica } from './fleet.js';

const ID = /request (rq-[0-9a-f]{12}) is waiting/;
const HOST = 'htui-a';

let pg: Postgres;
let replica: Replica;
let rig: Rig;
let bob: ApproverKey;

interface FleetRow {
  host: string;
  view: { id: string; state: string; command: string; fingerprint?: string; preview?: { sha256?: string } };
}

async function signedFetch(
  key: { publicKey: string; signBytes(s: object): string },
  method: string,
  path: string,
  body = '',
): Promise<Response> {
  const headers = approverHeaders(key, method, path, body, Date.now());
  return fetch(`${replica.url}${path}`, {
    method,
    headers: { ...headers, 'content-type': 'application/json' },
    body: method === 'GET' ? undefined : body,
  });
}

async function fleet(): Promise<FleetRow[]> {
  const res = await signedFetch(bob, 'GET', '/v1/fleet/requests');
  if (res.status !== 200) throw new Error(`fleet list answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { requests: FleetRow[] }).requests;
}

/** Raises an approve-me request on the host and waits until bob sees it through the hub. */
async function raise(): Promise<{ id: string; row: FleetRow; p: ReturnType<Rig['spawnGuard']> }> {
  const p = rig.spawnGuard(['exec', '--', MARK, rig.marker, 'approve-me'], { timeoutMs: 120_000 });
  const [, id] = await p.waitFor(ID);
  let row: FleetRow | undefined;
  await until(async () => {
    row = (await fleet()).find((r) => r.view.id === id && r.view.fingerprint !== undefined);
    return row !== undefined;
  }, `${id!} listed by the hub with its fingerprint`);
  return { id: id!, row: row!, p };
}

function decision(row: FleetRow, fingerprint = row.view.fingerprint!): SignedDecision {
  return bob.sign({
    v: 1,
    requestId: row.view.id,
    fingerprint,
    action: 'approve',
    at: new Date().toISOString(),
    approver: 'bob',
    preview: row.view.preview?.sha256,
  });
}

async function relay(host: string, signed: SignedDecision): Promise<Response> {
  return signedFetch(bob, 'POST', '/v1/fleet/decisions', JSON.stringify({ host, signed }));
}

async function refusals(id: string): Promise<Record<string, unknown>[]> {
  const recs = await rig.ledger((x) => x.some((y) => y.type === 'approval_refused' && y.payload['requestId'] === id));
  return recs.filter((x) => x.type === 'approval_refused' && x.payload['requestId'] === id).map((x) => x.payload);
}

describe.skipIf(postgresSkipReason() !== undefined)(
  'guard tui --hub: approver-signed decisions through the hub',
  () => {
    beforeAll(async () => {
      ({ pg, replica, rig, bob } = await startBobFleet(HOST));
    }, 300_000);
    afterAll(() => stopBobFleet({ pg, replica, rig, bob }));

    it("lists the host's open request with the host name, and a decision signed by bob runs the command", async () => {
      const { id, row, p } = await raise();
      expect(row.host).toBe(HOST);
      expect(row.view.state).toBe('pending');
      const res = await relay(HOST, decision(row));
      expect(res.status).toBe(200);
      const r = await p.done;
      expect(r.code).toBe(0);
      expect(existsSync(rig.marker)).toBe(true);
      const recs = await rig.ledger((x) => x.some((y) => y.type === 'approval' && y.payload['requestId'] === id));
      const approval = recs.find((x) => x.type === 'approval' && x.payload['requestId'] === id);
      expect(approval?.payload).toMatchObject({ approver: 'bob', channel: 'hub' });
      rmSync(rig.marker, { force: true });
    });

    it('refuses an approver the hub does not know and an unsigned or tampered call', async () => {
      const mallory = generateKeyPairSync('ed25519');
      const raw = Buffer.from(String(mallory.publicKey.export({ format: 'jwk' }).x), 'base64url').toString('base64');
      const { sign } = await import('node:crypto');
      const { canonicalBytes } = await import('../../src/util/canonical.js');
      const stranger = {
        publicKey: raw,
        signBytes: (s: object) => sign(null, canonicalBytes(s), mallory.privateKey).toString('base64'),
      };
      expect((await signedFetch(stranger, 'GET', '/v1/fleet/requests')).status).toBe(403);
      expect((await fetch(`${replica.url}/v1/fleet/requests`)).status).toBe(401);
      // bob's headers for a GET do not authorise a POST with a body
      const headers = approverHeaders(bob, 'GET', '/v1/fleet/requests', '', Date.now());
      const tampered = await fetch(`${replica.url}/v1/fleet/decisions`, { method: 'POST', headers, body: '{}' });
      expect(tampered.status).toBe(401);
    });

    it('a forged signature and another fingerprint are refused by the daemon and recorded; the command never runs', async () => {
      const { id, row, p } = await raise();
      const good = decision(row);
      const forged = { ...good, signature: Buffer.alloc(64, 7).toString('base64') };
      expect((await relay(HOST, forged)).status).toBe(200);
      const other = decision(row, 'ab'.repeat(32));
      expect((await relay(HOST, other)).status).toBe(200);
      // a hostile hub (its vote key, straight into PostgreSQL) relays a decision by an unknown approver
      const pem = pg.sql(`SELECT private_pem FROM hub_keys WHERE name = 'vote'`).trim();
      const hostId = pg.sql(`SELECT id FROM hosts WHERE name = '${HOST}'`).trim();
      const ghost = { ...good, approver: 'mallory' };
      const body: VoteBody = {
        v: 1,
        vote: '900001',
        host: hostId,
        requestId: id,
        action: 'approve',
        identity: { channel: 'hub-approver', id: 'mallory' },
        signed: ghost,
        at: new Date().toISOString(),
      };
      pg.sql(
        `INSERT INTO votes (id, host_id, request_id, body, signature) VALUES (900001, '${hostId}', '${id}', '${JSON.stringify(body)}', '${signVote(body, pem)}')`,
      );
      pg.sql(`SELECT pg_notify('guard_votes', '${hostId}')`);
      await until(async () => (await refusals(id)).length >= 3, 'three refusals recorded', 60_000);
      const codes = (await refusals(id)).map((x) => ({ channel: x['channel'], code: x['code'] }));
      expect(codes).toEqual(
        expect.arrayContaining([
          { channel: 'hub', code: 'bad-signature' },
          { channel: 'hub', code: 'wrong-fingerprint' },
          { channel: 'hub', code: 'unknown-approver' },
        ]),
      );
      // still open: nothing the hub relayed approved it
      expect((await fleet()).find((r) => r.view.id === id)?.view.state).toBe('pending');
      expect(existsSync(rig.marker)).toBe(false);
      p.child.kill('SIGTERM');
      await p.done;
    });

    it("the TUI's hub backend shows the request with its host, and its signed approval runs the command", async () => {
      const token = await hubLogin(replica.url, bob, Date.now());
      const backend = new HubBackend(replica.url, token, bobSession(rig), () => Date.now(), 50);
      let views: RequestView[] = [];
      backend.start((a: Action) => {
        if (a.type === 'snapshot') views = a.views;
      });
      try {
        const { id, p } = await raise();
        await until(() => views.some((v) => v.id === id), `${id} in the TUI's snapshot`);
        expect(fleetHostOf(views.find((v) => v.id === id)!)).toBe(HOST);
        await backend.unlock(Buffer.from(readFileSync(rig.passFile('bob'), 'utf8').trim()));
        const message = await backend.decide({ requestId: id, action: 'approve' });
        expect(message).toContain(HOST);
        expect((await p.done).code).toBe(0);
        expect(existsSync(rig.marker)).toBe(true);
      } finally {
        backend.stop();
        rmSync(rig.marker, { force: true });
      }
    });

    it('refuses an unknown session token', async () => {
      const res = await fetch(`${replica.url}/v1/fleet/requests`, {
        headers: { authorization: `Bearer ghs_${'A'.repeat(43)}` },
      });
      expect(res.status).toBe(401);
    });
  },
);
