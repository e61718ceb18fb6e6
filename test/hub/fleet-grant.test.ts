/**
 * Extending and revoking a grant through the hub's fleet routes (decision 1103), the endpoint the
 * TUI's hub backend calls: a real PostgreSQL, hub and daemon; bob signs each call with his approver
 * key. He lists the live grants of the hosts that enrolled his key (with the grant's uses left),
 * extends one to what the rule allows and revokes another; the host applies both through its own
 * channel paths and records them with bob as the approver (`hub-approver`, verified by his key). An
 * unsigned call, a key no host lists and a grant that is not live change nothing. The TUI's hub backend
 * lists the grant with its host and extends and revokes it through the same routes.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approverKeyPath, readKeyFile } from '../../src/approval/keyfile.js';
import { unlockApproverKey, type ApproverKey } from '../../src/approval/keys.js';
import { approverHeaders } from '../../src/hub/approver-auth.js';
import type { LedgerRow, Rig } from '../daemon/helpers.js';
import { postgresSkipReason, startPostgres, type Postgres } from '../helpers/postgres.js';
import { heldIn, runIn, SCOPED_POLICY } from '../helpers/scoped-rule.js';
import { canonicalBytes } from '../../src/util/canonical.js';
import { startHost, startReplica, until, type Replica } from './fleet.js';
import { bobSession } from './bob-fleet.js';
import { HubBackend, hubLogin } from '../../src/tui/hub-backend.js';
import type { GrantInfo } from '../../src/tui/model.js';
import type { Action } from '../../src/tui/reducer.js';
import type { RequestView } from '../../src/channels/types.js';

const HOST = 'hfleetgrant-a';

interface GrantRow {
  host: string;
  view: { id: string; extendOffer?: { from: unknown; to: { usesLeft: number } } };
  grant: { usesLeft: number; expiresAt: string };
}

describe.skipIf(postgresSkipReason() !== undefined)("grants through the hub's fleet routes", () => {
  let pg: Postgres;
  let replica: Replica;
  let rig: Rig;
  let bob: ApproverKey;

  beforeAll(async () => {
    pg = await startPostgres();
    replica = await startReplica(pg);
    rig = await startHost(pg, [replica], replica.url, HOST, SCOPED_POLICY);
    const pass = readFileSync(rig.passFile('bob'), 'utf8').trim();
    bob = unlockApproverKey(readKeyFile(approverKeyPath(rig.env, 'bob')), Buffer.from(pass));
  }, 300_000);

  afterAll(async () => {
    bob?.dispose();
    await rig?.cleanup();
    replica?.child.kill('SIGKILL');
    await pg?.destroy();
  });

  const of = (recs: LedgerRow[], id: string, type: string) =>
    recs.filter((r) => r.type === type && r.payload['requestId'] === id);

  async function call(
    method: string,
    path: string,
    body?: unknown,
    key: { publicKey: string; signBytes(s: object): string } = bob,
  ): Promise<Response> {
    const text = body === undefined ? '' : JSON.stringify(body);
    return fetch(`${replica.url}${path}`, {
      method,
      headers: { ...approverHeaders(key, method, path, text, Date.now()), 'content-type': 'application/json' },
      body: method === 'GET' ? undefined : text,
    });
  }

  async function grants(): Promise<GrantRow[]> {
    const res = await call('GET', '/v1/fleet/grants');
    expect(res.status).toBe(200);
    return ((await res.json()) as { grants: GrantRow[] }).grants;
  }

  /** A request held in a session, approved by bob on the host, its grant live on the hub. */
  async function approved(session: string, ...args: string[]): Promise<string> {
    const id = await heldIn(rig, session, ...args);
    const r = await rig.approve(id, 'bob');
    expect(r.code, r.stderr).toBe(0);
    await until(async () => (await grants()).some((g) => g.view.id === id), `the live grant of ${id}`);
    return id;
  }

  it('bob lists the live grant and extends it to what the rule allows; recorded on the host with bob as the approver', async () => {
    const id = await approved('S-1', 'three-me');
    const row = (await grants()).find((g) => g.view.id === id)!;
    expect(row.host).toBe(HOST);
    expect(row.grant.usesLeft).toBe(1);
    const offer = row.view.extendOffer!;
    expect(offer.to.usesLeft).toBe(3);
    const res = await call('POST', '/v1/fleet/grants', { host: HOST, requestId: id, action: 'extend', ...offer });
    expect(res.status, await res.clone().text()).toBe(200);
    const recs = await rig.ledger((rs) => of(rs, id, 'grant_extended').length > 0);
    expect(of(recs, id, 'grant_extended')[0]!.payload).toMatchObject({
      approver: 'bob',
      channel: 'hub-approver',
      identity: 'bob',
      verifiedBy: `hub+key:${bob.publicKey}`,
      to: { usesLeft: 3 },
    });
    for (let i = 0; i < 3; i++) expect((await runIn(rig, 'S-1', 'three-me')).code).toBe(0);
    expect((await runIn(rig, 'S-1', 'three-me')).code).toBe(75);
  }, 180_000);

  it('bob revokes a live grant: the next run is held; unsigned, unknown-key and no-longer-live calls change nothing', async () => {
    const id = await approved('S-2', 'three-me', 'revoke');
    const unsigned = await fetch(`${replica.url}/v1/fleet/grants`, {
      method: 'POST',
      body: JSON.stringify({ host: HOST, requestId: id, action: 'revoke' }),
    });
    expect(unsigned.status).toBe(401);
    // a key no host lists, signing correctly
    const mallory = generateKeyPairSync('ed25519');
    const stranger = {
      publicKey: Buffer.from(String(mallory.publicKey.export({ format: 'jwk' }).x), 'base64url').toString('base64'),
      signBytes: (st: object) => sign(null, canonicalBytes(st), mallory.privateKey).toString('base64'),
    };
    const unknown = await call('POST', '/v1/fleet/grants', { host: HOST, requestId: id, action: 'revoke' }, stranger);
    expect(unknown.status).toBe(403);
    const res = await call('POST', '/v1/fleet/grants', { host: HOST, requestId: id, action: 'revoke' });
    expect(res.status, await res.clone().text()).toBe(200);
    const recs = await rig.ledger((rs) => of(rs, id, 'grant_revoked').length > 0);
    expect(of(recs, id, 'grant_revoked')).toHaveLength(1);
    expect(of(recs, id, 'grant_revoked')[0]!.payload).toMatchObject({
      by: 'bob (hub-approver bob)',
      approver: 'bob',
      channel: 'hub-approver',
      verifiedBy: `hub+key:${bob.publicKey}`,
    });
    expect((await runIn(rig, 'S-2', 'three-me', 'revoke')).code).toBe(75);
    await until(async () => !(await grants()).some((g) => g.view.id === id), 'the revoked grant leaving the hub');
    const again = await call('POST', '/v1/fleet/grants', { host: HOST, requestId: id, action: 'revoke' });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('no live grant');
  }, 180_000);

  it("the TUI's hub backend shows the live grant with its host, extends it to the offer and revokes it, as bob", async () => {
    const id = await approved('S-3', 'three-me', 'tui');
    const token = await hubLogin(replica.url, bob, Date.now());
    const backend = new HubBackend(replica.url, token, bobSession(rig), () => Date.now(), 50);
    let views: RequestView[] = [];
    let live: GrantInfo[] = [];
    backend.start((a: Action) => {
      if (a.type === 'snapshot') views = a.views;
      if (a.type === 'grants-loaded') live = a.grants;
    });
    try {
      await until(() => live.some((g) => g.requestId === id), `the grant of ${id} in the TUI`);
      const shown = views.find((v) => v.id === id)!;
      expect(shown.state).toBe('approved');
      expect((shown as RequestView & { fleetHost?: string }).fleetHost).toBe(HOST);
      const g = (await backend.grants()).find((x) => x.requestId === id)!;
      expect(g.usesLeft).toBe(1);
      const offer = g.extendOffer!;
      expect(offer.to.usesLeft).toBe(3);
      expect(await backend.extend({ requestId: id, action: 'extend', from: offer.from, to: offer.to })).toContain(HOST);
      const ext = await rig.ledger((rs) => of(rs, id, 'grant_extended').length > 0);
      expect(of(ext, id, 'grant_extended')[0]!.payload).toMatchObject({
        approver: 'bob',
        channel: 'hub-approver',
        verifiedBy: `hub+key:${bob.publicKey}`,
        to: { usesLeft: 3 },
      });
      expect((await runIn(rig, 'S-3', 'three-me', 'tui')).code).toBe(0);
      await until(
        async () => (await backend.grants()).find((x) => x.requestId === id)?.usesLeft === 2,
        'the used grant on the hub',
      );
      expect(await backend.revoke({ requestId: id, action: 'revoke' })).toContain(HOST);
      const rev = await rig.ledger((rs) => of(rs, id, 'grant_revoked').length > 0);
      expect(of(rev, id, 'grant_revoked')[0]!.payload).toMatchObject({ approver: 'bob', channel: 'hub-approver' });
      expect((await runIn(rig, 'S-3', 'three-me', 'tui')).code).toBe(75);
      await until(async () => !(await backend.grants()).some((x) => x.requestId === id), 'the revoked grant leaving');
      // a grant the hub no longer lists is not sent at all
      await expect(backend.revoke({ requestId: id, action: 'revoke' })).rejects.toThrow(/has no live grant on the hub/);
    } finally {
      backend.stop();
    }
  }, 180_000);
});
