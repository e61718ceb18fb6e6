/**
 * Extending and revoking a grant through the hub (issue #23, decision 1103), end to end: a real
 * PostgreSQL, a real `guard hub start` serving the web page (real OpenID provider, headless Chromium)
 * and owning the local Slack protocol server's connection, and a real daemon joined to it with alice
 * enrolled by her IdP login (her Slack id U0BOB mapped to her subject). The hub learns which grants
 * are live from the views the host sends; Extend and Revoke on its page and its Slack become
 * hub-signed grant actions (v3), which the host applies through its own channel paths and records
 * with the hub identity. Forged, unsigned, moved and mis-attributed actions are refused and recorded.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pgClient from 'pg';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addGrantAction } from '../../src/hub/grants.js';
import { HubStore } from '../../src/hub/store.js';
import { newVoteKeyPem, signVote, type VoteBody } from '../../src/hub/vote.js';
import { FakeSlack } from '../channels/fake-slack.js';
import { clickAs, postOf, type SlackBlock } from '../channels/slack-scope.js';
import type { LedgerRow, Rig } from '../daemon/helpers.js';
import { postgresSkipReason, startPostgres, type Postgres } from '../helpers/postgres.js';
import { heldIn, runIn, SCOPED_POLICY } from '../helpers/scoped-rule.js';
import { chromiumSkipReason, launchChromium } from '../identity/browser.js';
import { startProvider, type TestProvider } from '../identity/provider.js';
import { approveAt, grantFields, outcome, signInAt } from '../web/page.js';
import { BOB, CHANNEL, hubConfig, startReplica, until, type Replica } from './fleet.js';
import { startIdpHost } from './web-host.js';

const HOST = 'hgrant-a';

const skip = postgresSkipReason() !== undefined || chromiumSkipReason() !== false;

describe.skipIf(skip)('extending and revoking a grant through the hub', () => {
  let pg: Postgres;
  let idp: TestProvider;
  let browser: Browser;
  let slack: FakeSlack;
  let dir: string;
  let replica: Replica;
  let rig: Rig;
  let url: string;
  let page: Page;

  const identity = (): string =>
    `identity:\n  issuer: ${idp.issuer}\n  client_id: guard-cli\n  scopes: [openid, email, groups]\n  allow_insecure_http: true\n  max_clock_skew_seconds: 0\n`;
  const of = (recs: LedgerRow[], id: string, type: string) =>
    recs.filter((r) => r.type === type && r.payload['requestId'] === id);
  const hubSql = (id: string, what: string): string =>
    pg.sql(`SELECT ${what} FROM requests WHERE request_id = '${id}'`).trim();
  const card = (key: string) => page.locator(`[id="grant-${key}"]`);

  /** A command held in an agent session, raised on the hub with its fingerprint: its id and hub key. */
  async function held(session: string, ...args: string[]): Promise<{ id: string; key: string }> {
    const id = await heldIn(rig, session, ...args);
    await until(() => hubSql(id, `view ? 'fingerprint'`) === 't', `${id} raised on the hub`);
    return { id, key: `${id}@${HOST}` };
  }

  /** Approves on the hub's page (with the scope labelled `scope`), then waits until the hub holds the live grant. */
  async function approveOnHub(id: string, key: string, scope?: string): Promise<void> {
    expect(await approveAt(page, `${url}r/${encodeURIComponent(key)}`, scope)).toMatch(/^Recorded/);
    await until(() => hubSql(id, 'grant_until IS NOT NULL') === 't', `the live grant of ${id} on the hub`);
  }

  /** The hidden fields of a live grant's form on the hub's page. */
  const fields = (key: string, button: string) => grantFields(page, url, `[id="grant-${key}"]`, button);

  beforeAll(async () => {
    [pg, idp, browser] = await Promise.all([startPostgres(), startProvider(), launchChromium()]);
    slack = new FakeSlack();
    await slack.start();
    dir = mkdtempSync('/tmp/gd-hubgrant-');
    const config = hubConfig(dir, slack);
    writeFileSync(config, `${identity()}${readFileSync(config, 'utf8')}`);
    replica = await startReplica(pg, config, '127.0.0.1:0', { GUARD_HOME: join(dir, 'home') });
    url = `${replica.url}/approve/`;
    // alice's Slack id maps to her IdP subject on the host (identity.channel_subjects, decision 1066)
    const hostIdentity = `${identity()}  channel_subjects: { slack: { ${BOB.id}: alice } }\n`;
    rig = await startIdpHost(pg, browser, replica.url, HOST, hostIdentity, SCOPED_POLICY);
    page = await signInAt(browser, url, 'alice');
  }, 300_000);

  afterAll(async () => {
    await rig?.cleanup();
    replica?.child.kill('SIGKILL');
    await browser?.close();
    await idp?.stop();
    await slack?.stop();
    await pg?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("Extend on the hub's page widens the grant on the host, recorded with alice's IdP subject; the same form replayed is refused by the host", async () => {
    const { id, key } = await held('S-1', 'three-me');
    await approveOnHub(id, key);
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    expect(await card(key).locator('.uses').innerText()).toMatch(/^1 use\(s\) left, until \d{4}-/);
    expect(await card(key).locator('.offer').innerText()).toMatch(/^Extend to 3 use\(s\) left, until /);
    const shown = await fields(key, 'Extend');
    expect(shown).toMatchObject({ action: 'extend', from_uses: '1', to_uses: '3' });
    await card(key).getByRole('button', { name: 'Extend', exact: true }).click();
    expect(await outcome(page)).toBe(`Recorded: Your extension of ${key} is recorded.`);
    const recs = await rig.ledger((rs) => of(rs, id, 'grant_extended').length > 0);
    expect(of(recs, id, 'grant_extended')[0]!.payload).toMatchObject({
      approver: 'alice',
      channel: 'hub-web',
      identity: 'alice',
      subject: 'alice',
      verifiedBy: `hub+idp:${idp.issuer}`,
      from: { usesLeft: 1 },
      to: { usesLeft: 3 },
    });
    expect(pg.sql(`SELECT body->>'v', body->>'action' FROM votes WHERE request_id = '${id}' ORDER BY id`).trim()).toBe(
      '1|approve\n3|extend',
    );
    // the form replayed names the grant as it was: relayed, and refused by the host (compare-and-set)
    const replay = await page.request.post(`${url}g/${encodeURIComponent(key)}`, { form: shown });
    expect(replay.status()).toBe(200);
    const after = await rig.ledger((rs) => of(rs, id, 'approval_refused').length > 0);
    expect(of(after, id, 'approval_refused')[0]!.payload).toMatchObject({
      action: 'extend',
      channel: 'hub-web',
      identity: 'alice',
      code: 'extend-refused',
    });
    expect(of(after, id, 'grant_extended')).toHaveLength(1);
    for (let i = 0; i < 3; i++) expect((await runIn(rig, 'S-1', 'three-me')).code).toBe(0);
    expect((await runIn(rig, 'S-1', 'three-me')).code).toBe(75);
    expect(rig.marks()).toHaveLength(3);
  }, 180_000);

  it("Revoke on the hub's page stops the next use on the host, recorded with the approver and the IdP subject; the grant leaves the page", async () => {
    const { id, key } = await held('S-2', 'three-me', 'revoke');
    await approveOnHub(id, key, '3 uses');
    const before = rig.marks().length;
    expect((await runIn(rig, 'S-2', 'three-me', 'revoke')).code).toBe(0);
    await until(() => hubSql(id, `view->'grant'->>'usesLeft'`) === '2', 'the used grant on the hub');
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    expect(await card(key).locator('.uses').innerText()).toMatch(/^2 use\(s\) left/);
    await card(key).getByRole('button', { name: 'Revoke', exact: true }).click();
    expect(await outcome(page)).toBe(`Recorded: Your revocation of ${key} is recorded.`);
    const recs = await rig.ledger((rs) => of(rs, id, 'grant_revoked').length > 0);
    expect(of(recs, id, 'grant_revoked')[0]!.payload).toMatchObject({
      scope: 'grant',
      by: 'alice (hub-web alice)',
      approver: 'alice',
      channel: 'hub-web',
      identity: 'alice',
      subject: 'alice',
      verifiedBy: `hub+idp:${idp.issuer}`,
    });
    expect((await runIn(rig, 'S-2', 'three-me', 'revoke')).code).toBe(75);
    expect(rig.marks()).toHaveLength(before + 1);
    await until(() => hubSql(id, 'grant_until IS NULL') === 't', 'the revoked grant leaving the hub');
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    expect(await card(key).count()).toBe(0);
    // nothing live to change any more: the hub refuses to relay, and says why
    const csrf = await page.locator('input[name=csrf]').first().inputValue();
    const again = await page.request.post(`${url}g/${encodeURIComponent(key)}`, { form: { action: 'revoke', csrf } });
    expect(again.status()).toBe(403);
    expect(await again.text()).toContain('no live grant');
  }, 180_000);

  it('the host refuses and records a grant action signed by another key, unsigned, moved to another vote id, or naming an identity no hub vouches for; the grant stays usable', async () => {
    const { id, key } = await held('S-3', 'three-me', 'forged');
    expect(key).toBe(`${id}@${HOST}`);
    await approveOnHub(id, key, '3 uses');
    const hostId = hubSql(id, 'host_id');
    const pem = pg.sql(`SELECT private_pem FROM hub_keys WHERE name = 'vote'`).trim();
    const alice = { channel: 'hub-web', id: 'alice', verifiedBy: `hub+idp:${idp.issuer}` };
    const body = (vote: string, extra: Partial<VoteBody> = {}): VoteBody => ({
      v: 3,
      vote,
      host: hostId,
      requestId: id,
      action: 'revoke',
      identity: alice,
      at: new Date().toISOString(),
      ...extra,
    });
    const insert = (vote: string, b: VoteBody, signature: string): void =>
      void pg.sql(
        `INSERT INTO votes (id, host_id, request_id, body, signature) VALUES (${vote}, '${hostId}', '${id}', '${JSON.stringify(b)}', '${signature}'); SELECT pg_notify('guard_votes', '${hostId}')`,
      );
    insert('910001', body('910001'), signVote(body('910001'), newVoteKeyPem().privatePem));
    insert('910002', body('910002'), '');
    // a genuine signature, for vote 910003, delivered as vote 910004
    const moved = body('910003');
    insert('910004', moved, signVote(moved, pem));
    // the hub's own key, claiming the host's own page verified the login
    const own = body('910005', { identity: { channel: 'web', id: 'alice', verifiedBy: `idp:${idp.issuer}` } });
    insert('910005', own, signVote(own, pem));
    const recs = await rig.ledger((rs) => of(rs, id, 'approval_refused').length >= 4);
    expect(of(recs, id, 'approval_refused').map((r) => [r.payload['vote'], r.payload['code']])).toEqual([
      ['910001', 'hub-signature'],
      ['910002', 'hub-signature'],
      ['910004', 'hub-wrong-host'],
      ['910005', 'hub-malformed'],
    ]);
    expect(of(recs, id, 'grant_revoked')).toHaveLength(0);
    // a subject the host does not map, through the hub's own key: refused by the revoke path, recorded
    const pool = new pgClient.Pool({ connectionString: pg.url, max: 1 });
    try {
      const mallory = { channel: 'hub-web', id: 'mallory', verifiedBy: `hub+idp:${idp.issuer}` };
      const store = new HubStore(pool);
      expect(
        await addGrantAction(store, { hostName: HOST, requestId: id, action: 'revoke', identity: mallory }, pem),
      ).toBeUndefined();
    } finally {
      await pool.end();
    }
    const more = await rig.ledger((rs) => of(rs, id, 'approval_refused').length >= 5);
    expect(of(more, id, 'approval_refused')[4]!.payload).toMatchObject({
      action: 'revoke',
      channel: 'hub-web',
      identity: 'mallory',
      code: 'unknown-approver',
    });
    expect(of(more, id, 'grant_revoked')).toHaveLength(0);
    expect((await runIn(rig, 'S-3', 'three-me', 'forged')).code).toBe(0);
  }, 180_000);

  /** Every edit of the hub's Slack message of `key`, oldest first. */
  const edits = (key: string): SlackBlock[][] =>
    slack
      .callsOf('chat.update')
      .map((c) => c.args['blocks'] as SlackBlock[])
      .filter((bs) => JSON.stringify(bs).includes(key));
  const button = (blocks: SlackBlock[], actionId: string) =>
    blocks
      .flatMap((b) => [...(b.elements ?? []), ...(b.accessory === undefined ? [] : [b.accessory])])
      .find((e) => e.action_id === actionId) as { action_id: string; value: string } | undefined;
  /** The latest edit of the message that shows a button `actionId`, once one does. */
  async function latestWith(key: string, actionId: string): Promise<{ action_id: string; value: string }> {
    await until(() => edits(key).some((bs) => button(bs, actionId) !== undefined), `${actionId} on ${key}`, 60_000);
    return button(
      edits(key).findLast((bs) => button(bs, actionId) !== undefined)!,
      actionId,
    )!;
  }

  it("the hub's Slack offers Extend and Revoke on the approved message: both reach the host as the Slack identity through the hub", async () => {
    const { id, key } = await held('S-4', 'three-me', 'slack');
    const { blocks, ts } = await postOf(slack, key);
    const once = blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === 'guard_approve');
    expect(once).toBeDefined();
    clickAs(slack, BOB, CHANNEL, ts, 'guard_approve', key);
    const extend = await latestWith(key, 'guard_extend');
    expect(extend.value).toMatch(new RegExp(`^${key} 1 \\S+ 3 \\S+$`));
    clickAs(slack, BOB, CHANNEL, ts, 'guard_extend', extend.value);
    const recs = await rig.ledger((rs) => of(rs, id, 'grant_extended').length > 0);
    expect(of(recs, id, 'grant_extended')[0]!.payload).toMatchObject({
      approver: 'alice',
      channel: 'slack',
      identity: BOB.id,
      subject: 'alice',
      verifiedBy: 'hub+slack:T1',
      to: { usesLeft: 3 },
    });
    expect((await runIn(rig, 'S-4', 'three-me', 'slack')).code).toBe(0);
    const revoke = await latestWith(key, 'guard_revoke');
    expect(revoke.value).toBe(key);
    clickAs(slack, BOB, CHANNEL, ts, 'guard_revoke', revoke.value);
    const revoked = await rig.ledger((rs) => of(rs, id, 'grant_revoked').length > 0);
    expect(of(revoked, id, 'grant_revoked')[0]!.payload).toMatchObject({
      by: `alice (slack ${BOB.id})`,
      approver: 'alice',
      channel: 'slack',
      identity: BOB.id,
      subject: 'alice',
      verifiedBy: 'hub+slack:T1',
    });
    expect((await runIn(rig, 'S-4', 'three-me', 'slack')).code).toBe(75);
  }, 180_000);
});
