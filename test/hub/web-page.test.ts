/**
 * The web approval page served by the hub (decision 1068), end to end: a real PostgreSQL, a real
 * `guard hub start` with an `identity:` section, a real daemon joined to it, the real OpenID
 * provider (oidc-provider) and headless Chromium at phone size. alice signs in on the hub with
 * code + PKCE and sees the host's request with its full view; her approval becomes a hub-signed
 * vote with her IdP subject, the daemon maps it to the approver enrolled with that subject, and the
 * command runs once. Refused: an IdP user no host enrolled (at sign-in), a subject the hub lists
 * but the daemon does not map (by the daemon, recorded), a cross-site form and a form without the
 * session's CSRF token, an approval of a step-up rule (sent to the host's own page). The page offers
 * the scopes a rule allows; the chosen one travels in the hub-signed vote and the host re-checks it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pgClient from 'pg';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubStore } from '../../src/hub/store.js';
import { MARK, type LedgerRow, type Rig } from '../daemon/helpers.js';
import { postgresSkipReason, startPostgres, type Postgres } from '../helpers/postgres.js';
import { chromiumSkipReason, launchChromium } from '../identity/browser.js';
import { startProvider, type TestProvider } from '../identity/provider.js';
import { checkPhoneLayout, outcome, refusesForgedForms, signInAt, WEB_POLICY } from '../web/page.js';
import { startReplica, until, type Replica } from './fleet.js';
import { raiseOnHub, startIdpHost } from './web-host.js';

const HOST = 'hweb-a';
/** A rule that allows scoped grants (the hub's page offers them, decision 1090). */
const SCOPE_RULE = `  - id: t.hubscope
    description: Test rule that allows scoped grants
    effect: approve
    match: { program: mark, any_arg: [scope-me] }
    approval: { timeout: 120s, groups: [sre], max_uses: 3, max_ttl: 1h }
`;

const skip = postgresSkipReason() !== undefined || chromiumSkipReason() !== false;

describe.skipIf(skip)('the web approval page served by the hub', () => {
  let pg: Postgres;
  let idp: TestProvider;
  let browser: Browser;
  let replica: Replica;
  let rig: Rig;
  let url: string;
  /** alice's signed-in phone browser (kept across tests). */
  let phone: Page;

  const identity = (): string =>
    `identity:\n  issuer: ${idp.issuer}\n  client_id: guard-cli\n  scopes: [openid, email, groups]\n  allow_insecure_http: true\n  max_clock_skew_seconds: 0\n`;

  const signIn = (user: string): Promise<Page> => signInAt(browser, url, user);

  /** Raises a request on the host and waits until the hub holds it with the host's fingerprint. */
  async function request(...args: string[]) {
    const { run, id } = await raiseOnHub(rig, pg, ...args);
    return { run, id, key: `${id}@${HOST}` };
  }

  const votes = (id: string): number => Number(pg.sql(`SELECT count(*) FROM votes WHERE request_id = '${id}'`));
  const of = (recs: LedgerRow[], id: string, type: string) =>
    recs.filter((r) => r.type === type && (r.payload as { requestId?: string }).requestId === id);

  beforeAll(async () => {
    [pg, idp, browser] = await Promise.all([startPostgres(), startProvider(), launchChromium()]);
    const dir = mkdtempSync('/tmp/gd-hubweb-');
    const hubConfig = join(dir, 'hub.yaml');
    writeFileSync(hubConfig, identity());
    // the hub keeps the provider's discovery and keys under its own GUARD_HOME
    replica = await startReplica(pg, hubConfig, '127.0.0.1:0', { GUARD_HOME: join(dir, 'home') });
    url = `${replica.url}/approve/`;
    rig = await startIdpHost(pg, browser, replica.url, HOST, identity(), `${WEB_POLICY}${SCOPE_RULE}`);
    phone = await signIn('alice');
  }, 300_000);

  afterAll(async () => {
    await rig?.cleanup();
    replica?.child.kill('SIGKILL');
    await browser?.close();
    await idp?.stop();
    await pg?.destroy();
  });

  it("lists the host's request with its full view at phone size; alice's approval runs the command once, recorded with her IdP subject", async () => {
    const long = `/srv/data/${'very-long-path-segment/'.repeat(20)}end-of-the-argument`;
    const evil = `<img src=x onerror="document.title='owned'"><script>document.title='owned'</script>\u202Etxt.exe`;
    const { run, id, key } = await request('web-me', long, evil);
    await phone.goto(url, { waitUntil: 'domcontentloaded' });
    expect(await phone.locator('.who').innerText()).toContain('alice');
    await phone.getByRole('link', { name: new RegExp(id) }).click();
    const detail = phone.locator('#detail');
    await detail.waitFor();
    const text = await detail.innerText();
    // never cut, the host named, HTML inert, bidi characters written out
    expect(text.replace(/\s+/g, '')).toContain(long);
    expect(text).toContain(HOST);
    expect(text).toContain('<script>document.title=');
    expect(text).toContain('<U+202E>txt.exe');
    expect(await detail.locator('img, script').count()).toBe(0);
    expect(await phone.title()).not.toBe('owned');
    expect(phone.url()).toContain(encodeURIComponent(key));
    // strict CSP, no third-party assets
    const res = await phone.request.get(`${url}r/${encodeURIComponent(key)}`);
    expect(res.headers()['content-security-policy']).toContain("default-src 'none'");
    await checkPhoneLayout(phone);
    await phone.getByRole('button', { name: 'Approve', exact: true }).click();
    expect(await outcome(phone)).toMatch(/^Recorded/);
    const ran = await run.done;
    expect(ran.code, ran.stderr).toBe(0);
    expect(rig.marks()).toHaveLength(1);
    expect(votes(id)).toBe(1);
    const recs = await rig.ledger((rs) => of(rs, id, 'approval').length > 0);
    expect(of(recs, id, 'approval')).toHaveLength(1);
    expect(of(recs, id, 'approval')[0]?.payload).toMatchObject({
      approver: 'alice',
      action: 'approve',
      channel: 'hub-web',
      identity: 'alice',
      subject: 'alice',
      verifiedBy: `hub+idp:${idp.issuer}`,
    });
  }, 120_000);

  it('denies with a reason', async () => {
    const { run, id, key } = await request('web-me');
    await phone.goto(`${url}r/${encodeURIComponent(key)}`, { waitUntil: 'domcontentloaded' });
    await phone.locator('form:has(button.deny) textarea').fill('not during the freeze');
    await phone.getByRole('button', { name: 'Deny', exact: true }).click();
    expect(await outcome(phone)).toMatch(/^Recorded/);
    const ran = await run.done;
    expect(ran.code, ran.stderr).toBe(76);
    const recs = await rig.ledger((rs) => of(rs, id, 'approval').length > 0);
    expect(of(recs, id, 'approval')[0]?.payload).toMatchObject({
      approver: 'alice',
      action: 'deny',
      channel: 'hub-web',
      reason: 'not during the freeze',
    });
  }, 120_000);

  it('refuses a cross-site form and a form without the session CSRF token: no vote reaches the host', async () => {
    const { run, id, key } = await request('web-me');
    await refusesForgedForms(phone, `${url}r/${encodeURIComponent(key)}`);
    expect(votes(id)).toBe(0);
    expect(of(await rig.ledger(), id, 'approval')).toHaveLength(0);
    run.child.kill();
  }, 120_000);

  it('offers the scopes the rule allows with their exact text; "3 uses" chosen on the hub grants exactly that on the host (decision 1090)', async () => {
    const { run, id, key } = await request('scope-me');
    await phone.goto(`${url}r/${encodeURIComponent(key)}`, { waitUntil: 'domcontentloaded' });
    const radios = phone.locator('input[type=radio][name=scope]');
    expect(await radios.count()).toBe(3);
    expect(await radios.first().isChecked()).toBe(true);
    const choice = phone.locator('label.choice', { has: phone.locator('strong', { hasText: /^3 uses$/ }) });
    const shown = await choice.locator('.cmd').innerText();
    expect(shown).toMatch(/^exactly `.*scope-me` in .* by .+, at most 3 uses within 15 min$/);
    await choice.locator('input').check();
    await phone.getByRole('button', { name: 'Approve', exact: true }).click();
    expect(await outcome(phone)).toMatch(/^Recorded/);
    expect((await run.done).code).toBe(0);
    const recs = await rig.ledger((rs) => of(rs, id, 'approval').length > 0);
    expect(of(recs, id, 'approval')[0]?.payload).toMatchObject({
      approver: 'alice',
      channel: 'hub-web',
      verifiedBy: `hub+idp:${idp.issuer}`,
      grant: { uses: 3, ttlSeconds: 900, scope: shown },
    });
    // the grant covers the same command again: it runs without a new request
    const again = await rig.guard(['exec', '--no-wait', '--', MARK, rig.marker, 'scope-me']);
    expect(again.code, again.stderr).toBe(0);
    expect(rig.marks()).toHaveLength(3);
  }, 120_000);

  it('a scope posted for a rule without bounds travels in the vote and is refused and recorded by the host: nothing granted', async () => {
    const { run, id, key } = await request('web-me');
    const target = `${url}r/${encodeURIComponent(key)}`;
    await phone.goto(target, { waitUntil: 'domcontentloaded' });
    expect(await phone.locator('input[name=scope]').count()).toBe(0);
    const form = phone.locator('form:has(button.approve)');
    const view = await form.locator('input[name=view]').inputValue();
    const csrf = await form.locator('input[name=csrf]').inputValue();
    await phone.request.post(target, { form: { action: 'approve', view, csrf, scope: 'u2-t60' } });
    const recs = await rig.ledger((rs) => of(rs, id, 'approval_refused').length > 0);
    expect(of(recs, id, 'approval_refused')[0]?.payload).toMatchObject({
      approver: 'alice',
      channel: 'hub-web',
      code: 'grant-refused',
      reason: 'the policy allows no scoped grant for this request (no max_uses / max_ttl)',
      grant: expect.objectContaining({ uses: 2, ttlSeconds: 60 }) as unknown,
    });
    expect(of(recs, id, 'approval')).toHaveLength(0);
    expect(pg.sql(`SELECT body->>'v', body->>'scope' FROM votes WHERE request_id = '${id}'`).trim()).toBe('2|u2-t60');
    run.child.kill();
  }, 120_000);

  it('a step-up rule is not approved on the hub: no Approve button, a forged approve form is refused by the hub, a relayed approval by the daemon; deny still works', async () => {
    const { run, id, key } = await request('step-me');
    const target = `${url}r/${encodeURIComponent(key)}`;
    await phone.goto(target, { waitUntil: 'domcontentloaded' });
    expect(await phone.locator('#step-up').innerText()).toMatch(/host's own web approval page|guard approve/);
    expect(await phone.getByRole('button', { name: 'Approve', exact: true }).count()).toBe(0);
    const csrf = await phone.locator('input[name=csrf]').first().inputValue();
    const view = await phone.locator('input[name=view]').first().inputValue();
    const r = await phone.request.post(target, {
      form: { action: 'approve', view, csrf },
      headers: { origin: new URL(url).origin },
    });
    expect(r.status()).toBe(409);
    expect(votes(id)).toBe(0);
    // a hub that relays such an approval anyway (its vote key, straight into PostgreSQL): the daemon refuses it
    const pool = new pgClient.Pool({ connectionString: pg.url, max: 1 });
    try {
      const pem = pg.sql(`SELECT private_pem FROM hub_keys WHERE name = 'vote'`).trim();
      const identity = { channel: 'hub-web', id: 'alice', verifiedBy: `hub+idp:${idp.issuer}` };
      expect(await new HubStore(pool).addVote(HOST, id, { action: 'approve', identity }, pem)).toBeUndefined();
    } finally {
      await pool.end();
    }
    await until(async () => of(await rig.ledger(), id, 'approval_refused').length > 0, 'the refusal', 60_000);
    const recs = await rig.ledger();
    expect(of(recs, id, 'approval_refused')[0]?.payload).toMatchObject({
      approver: 'alice',
      channel: 'hub-web',
      code: 'step-up-needs-web',
    });
    expect(of(recs, id, 'approval')).toHaveLength(0);
    await phone.locator('form:has(button.deny) textarea').fill('use the host page');
    await phone.getByRole('button', { name: 'Deny', exact: true }).click();
    expect(await outcome(phone)).toMatch(/^Recorded/);
    expect((await run.done).code).toBe(76);
  }, 120_000);

  it('refuses an IdP user no host enrolled at sign-in; a subject the hub lists but the host does not map is refused by the daemon and recorded', async () => {
    const stranger = await signIn('mallory');
    expect(await stranger.locator('.msg').innerText()).toMatch(/not an enrolled approver/);
    expect((await stranger.context().cookies()).some((c) => c.name === 'guard_session')).toBe(false);
    await stranger.context().close();
    // a stale or tampered listing in the hub's database: the hub now believes the host enrolled mallory
    const hostId = pg.sql(`SELECT id FROM hosts WHERE name = '${HOST}'`).trim();
    pg.sql(
      `INSERT INTO host_approvers (host_id, name, public_key, idp_subject, idp_issuer) VALUES ('${hostId}', 'mallory', 'not-a-key', 'mallory', '${idp.issuer}')`,
    );
    const { run, id, key } = await request('web-me');
    const mallory = await signIn('mallory');
    await mallory.goto(`${url}r/${encodeURIComponent(key)}`, { waitUntil: 'domcontentloaded' });
    await mallory.getByRole('button', { name: 'Approve', exact: true }).click();
    // the hub relays it (it cannot know better); the host's daemon refuses it
    expect(await outcome(mallory)).toMatch(/^Recorded/);
    const recs = await rig.ledger((rs) => of(rs, id, 'approval_refused').length > 0);
    expect(of(recs, id, 'approval_refused')[0]?.payload).toMatchObject({
      approver: null,
      channel: 'hub-web',
      identity: 'mallory',
      verifiedBy: `hub+idp:${idp.issuer}`,
      code: 'unmapped-identity',
    });
    expect(of(recs, id, 'approval')).toHaveLength(0);
    await mallory.context().close();
    pg.sql(`DELETE FROM host_approvers WHERE name = 'mallory'`);
    run.child.kill();
  }, 120_000);
});
