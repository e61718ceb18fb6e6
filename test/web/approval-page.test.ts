/**
 * The web approval page (src/web/) with a real daemon, a real OpenID provider (oidc-provider) and
 * headless Chromium at phone size: sign-in with code + PKCE, the full request view, approve, deny
 * with a reason, a step-up approval with a fresh login, and the refusals: a cross-site form and a
 * form without the session's CSRF token, command text that tries to inject HTML, an IdP user who
 * is not enrolled, an enrolled approver outside the rule's group, a replayed callback.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callDaemon } from '../../src/cli/commands/decide-common.js';
import { connectIfRunning } from '../../src/daemon/connect.js';
import { MARK, Rig, type LedgerRow } from '../daemon/helpers.js';
import { chromiumSkipReason, enrolWithIdp, launchChromium } from '../identity/browser.js';
import { startProvider, type TestProvider } from '../identity/provider.js';
import { APP_TOKEN, BOT_TOKEN, FakeSlack } from '../channels/fake-slack.js';
import { until } from '../channels/helpers.js';
import { checkPhoneLayout, ID, idpLogin, outcome, refusesForgedForms, signInAt, WEB_POLICY } from './page.js';

describe.skipIf(chromiumSkipReason())('web approval page', () => {
  let idp: TestProvider;
  let browser: Browser;
  let rig: Rig;
  let slack: FakeSlack;
  let url: string;
  /** alice's signed-in phone browser (kept across tests). */
  let phone: Page;

  const enrol = (name: string, group: string, endorser?: string, extra: string[] = []) =>
    enrolWithIdp(rig, browser, name, group, endorser, extra);

  const signIn = (user: string): Promise<Page> => signInAt(browser, url, user);

  const request = async (...args: string[]) => {
    // the waiting command outlasts the browser steps of a test on a loaded machine
    const run = rig.spawnGuard(['exec', '--', MARK, rig.marker, ...args], { timeoutMs: 110_000 });
    const [, id] = await run.waitFor(ID);
    return { run, id: id! };
  };
  /** An Approve click on the request's Slack post by that Slack user. */
  async function slackApprove(user: string, id: string): Promise<void> {
    const post = () => slack.callsOf('chat.postMessage').findIndex((c) => JSON.stringify(c.args).includes(id));
    await until(() => post() >= 0, 'the Slack post');
    const ts = `${1_700_000_001 + post()}.000100`; // the fake numbers messages in order
    slack.sendInteractive({
      type: 'block_actions',
      user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T1' },
      team: { id: 'T1', domain: 'acme' },
      api_app_id: 'A1',
      trigger_id: `trigger-${user}-${id}`,
      container: { type: 'message', message_ts: ts, channel_id: 'C0WEB01', is_ephemeral: false },
      channel: { id: 'C0WEB01', name: 'approvals' },
      actions: [{ type: 'button', action_id: 'guard_approve', block_id: 'guard_actions', value: id, action_ts: '1' }],
    });
  }
  const of = (recs: LedgerRow[], id: string, type: string) =>
    recs.filter((r) => r.type === type && (r.payload as { requestId?: string }).requestId === id);

  beforeAll(async () => {
    [idp, browser] = await Promise.all([startProvider(), launchChromium()]);
    slack = new FakeSlack();
    await slack.start();
    rig = new Rig(WEB_POLICY, { GUARD_SLACK_APP_TOKEN: APP_TOKEN, GUARD_SLACK_BOT_TOKEN: BOT_TOKEN });
    mkdirSync(rig.env['GUARD_HOME']!, { recursive: true, mode: 0o700 });
    writeFileSync(
      join(rig.env['GUARD_HOME']!, 'config.yaml'),
      `identity:\n  issuer: ${idp.issuer}\n  client_id: guard-cli\n  scopes: [openid, email, groups]\n  allow_insecure_http: true\n  max_clock_skew_seconds: 0\n  channel_subjects:\n    slack: { U0ALICE: alice, U0EVE: eve }\nchannels:\n  http_listener: { bind: 127.0.0.1, port: 0 }\n  web: {}\n  slack:\n    app_token_ref: env:GUARD_SLACK_APP_TOKEN\n    bot_token_ref: env:GUARD_SLACK_BOT_TOKEN\n    channel_id: C0WEB01\n    api_url: ${slack.apiUrl}\n`,
    );
    await enrol('alice', 'sre', undefined, ['--slack-user-id', 'U0ALICE']);
    await enrol('bob', 'staff', 'alice');
    await rig.startDaemon();
    const client = (await connectIfRunning(rig.env))!;
    const status = await callDaemon(client, { type: 'status' }, false);
    client.close();
    const web = status.channels.find((c) => c.name === 'web');
    expect(web?.ok, JSON.stringify(status.channels)).toBe(true);
    url = /serving (\S+)/.exec(web!.detail)![1]!;
    phone = await signIn('alice');
  }, 180_000);

  afterAll(async () => {
    await rig?.cleanup();
    await browser?.close();
    await idp?.stop();
    await slack?.stop();
  });

  it('lists the request, shows its full view at phone size, and approves it as the IdP-verified approver', async () => {
    const long = `/srv/data/${'very-long-path-segment/'.repeat(20)}end-of-the-argument`;
    const { run, id } = await request('web-me', long);
    await phone.goto(url, { waitUntil: 'domcontentloaded' });
    expect(await phone.locator('.who').innerText()).toContain('alice');
    await phone.getByRole('link', { name: new RegExp(id) }).click();
    await phone.locator('#detail').waitFor();
    // the command is never cut, however long
    expect((await phone.locator('#detail').innerText()).replace(/\s+/g, '')).toContain(long);
    await checkPhoneLayout(phone);
    await phone.screenshot({ path: join(rig.home, 'phone-detail.png'), fullPage: true });
    await phone.getByRole('button', { name: 'Approve', exact: true }).click();
    expect(await outcome(phone)).toMatch(/^Recorded/);
    const ran = await run.done;
    expect(ran.code, ran.stderr).toBe(0);
    const recs = await rig.ledger((rs) => of(rs, id, 'approval').length > 0);
    expect(of(recs, id, 'approval')[0]?.payload).toMatchObject({
      approver: 'alice',
      action: 'approve',
      channel: 'web',
      identity: 'alice',
      verifiedBy: `idp:${idp.issuer}`,
    });
  }, 120_000);

  it('denies with a reason', async () => {
    const { run, id } = await request('web-me');
    await phone.goto(`${url}r/${id}`, { waitUntil: 'domcontentloaded' });
    await phone.locator('form:has(button.deny) textarea').fill('not during the freeze');
    await phone.getByRole('button', { name: 'Deny', exact: true }).click();
    expect(await outcome(phone)).toMatch(/^Recorded/);
    const ran = await run.done;
    expect(ran.code, ran.stderr).toBe(76); // not approved
    const recs = await rig.ledger((rs) => of(rs, id, 'approval').length > 0);
    expect(of(recs, id, 'approval')[0]?.payload).toMatchObject({
      action: 'deny',
      channel: 'web',
      reason: 'not during the freeze',
    });
  }, 120_000);

  it('renders command text that carries HTML and bidi characters inert and visible', async () => {
    const evil = `<img src=x onerror="document.title='owned'"><script>document.title='owned'</script>\u202Etxt.exe`;
    const { run, id } = await request('web-me', evil);
    await phone.goto(`${url}r/${id}`, { waitUntil: 'domcontentloaded' });
    const detail = phone.locator('#detail');
    expect(await detail.locator('img, script').count()).toBe(0);
    const text = await detail.innerText();
    expect(text).toContain('<script>document.title=');
    expect(text).toContain('<U+202E>txt.exe');
    expect(await phone.title()).not.toBe('owned');
    await checkPhoneLayout(phone);
    run.child.kill();
  }, 120_000);

  it('refuses a cross-site form and a form without the session CSRF token; the request stays pending', async () => {
    const { run, id } = await request('web-me');
    await refusesForgedForms(phone, `${url}r/${id}`);
    const recs = await rig.ledger();
    expect(of(recs, id, 'approval')).toHaveLength(0);
    run.child.kill();
  }, 120_000);

  it('refuses an IdP user who is not enrolled, and an enrolled approver outside the rule group', async () => {
    const stranger = await signIn('mallory');
    expect(await stranger.locator('.msg').innerText()).toMatch(
      /mallory is not an enrolled approver|not an enrolled approver/,
    );
    expect((await stranger.context().cookies()).some((c) => c.name === 'guard_session')).toBe(false);
    await stranger.context().close();
    const { run, id } = await request('web-me');
    const bob = await signIn('bob');
    await bob.goto(`${url}r/${id}`, { waitUntil: 'domcontentloaded' });
    await bob.getByRole('button', { name: 'Approve', exact: true }).click();
    expect(await outcome(bob)).toMatch(/^Refused/);
    const recs = await rig.ledger((rs) => of(rs, id, 'approval_refused').length > 0);
    expect(of(recs, id, 'approval_refused')[0]?.payload).toMatchObject({
      approver: 'bob',
      channel: 'web',
      code: 'ineligible',
    });
    expect(of(recs, id, 'approval')).toHaveLength(0);
    await bob.context().close();
    run.child.kill();
  }, 120_000);

  it('a Slack click approving a step-up request is refused, recorded, and answered with the web page link', async () => {
    const { run, id } = await request('step-me');
    await slackApprove('U0ALICE', id);
    const recs = await rig.ledger((rs) => of(rs, id, 'approval_refused').length > 0);
    expect(of(recs, id, 'approval_refused')[0]?.payload).toMatchObject({
      approver: 'alice',
      channel: 'slack',
      code: 'step-up-needs-web',
    });
    expect(of(recs, id, 'approval')).toHaveLength(0);
    await until(
      () => slack.callsOf('chat.postEphemeral').some((c) => String(c.args['text']).includes(`${url}r/${id}`)),
      'the ephemeral answer with the link',
    );
    run.child.kill();
  }, 120_000);

  it('identity.channel_subjects: a mapped Slack click approves as the approver enrolled with that IdP subject; unmapped ones are refused and recorded', async () => {
    const { run, id } = await request('web-me');
    // U0BOB is mapped to nothing; U0EVE to a subject (eve) no approver is enrolled with
    await slackApprove('U0BOB', id);
    await slackApprove('U0EVE', id);
    let recs = await rig.ledger((rs) => of(rs, id, 'approval_refused').length >= 2);
    const refused = of(recs, id, 'approval_refused')
      .map((r) => r.payload as { identity: string; reason: string })
      .sort((a, b) => a.identity.localeCompare(b.identity));
    expect(refused).toEqual([
      expect.objectContaining({ approver: null, channel: 'slack', identity: 'U0BOB', code: 'unmapped-identity' }),
      expect.objectContaining({ approver: null, channel: 'slack', identity: 'U0EVE', code: 'unmapped-identity' }),
    ]);
    expect(refused[0]?.reason).toMatch(/not mapped/);
    expect(refused[1]?.reason).toMatch(/no approver is enrolled/);
    expect(of(recs, id, 'approval')).toHaveLength(0);
    await slackApprove('U0ALICE', id);
    const ran = await run.done;
    expect(ran.code, ran.stderr).toBe(0);
    recs = await rig.ledger((rs) => of(rs, id, 'approval').length > 0);
    expect(of(recs, id, 'approval')[0]?.payload).toMatchObject({
      approver: 'alice',
      action: 'approve',
      channel: 'slack',
      identity: 'U0ALICE',
      subject: 'alice',
    });
  }, 120_000);

  it('a step-up rule takes a fresh login bound to the request and view; the callback cannot be replayed', async () => {
    const { run, id } = await request('step-me');
    const callbacks: string[] = [];
    phone.on('request', (r) => {
      if (r.url().includes('/approve/callback')) callbacks.push(r.url());
    });
    await phone.goto(`${url}r/${id}`, { waitUntil: 'domcontentloaded' });
    const view = await phone.locator('input[name=view]').first().inputValue();
    await phone.getByRole('button', { name: 'Approve', exact: true }).click();
    // max_age=0 / prompt=login: the provider asks for the password again despite the session
    await idpLogin(phone, 'alice', 'Recorded|Refused');
    expect(await phone.locator('h1').innerText()).toBe('Recorded');
    const ran = await run.done;
    expect(ran.code, ran.stderr).toBe(0);
    const recs = await rig.ledger((rs) => of(rs, id, 'approval').length > 0);
    const approval = of(recs, id, 'approval')[0]!.payload as {
      channel: string;
      stepUp: { viewHash: string; subject: string };
    };
    expect(approval.channel).toBe('web');
    expect(approval.stepUp.viewHash).toBe(view);
    expect(approval.stepUp.subject).toBe('alice');
    // the same callback (code and state) once more: refused, nothing recorded
    expect(callbacks).toHaveLength(1);
    await phone.goto(callbacks[0]!, { waitUntil: 'domcontentloaded' });
    expect(await phone.locator('.msg').innerText()).toMatch(/already used|replayed/);
    const after = await rig.ledger();
    expect(of(after, id, 'approval')).toHaveLength(1);
  }, 120_000);
});
