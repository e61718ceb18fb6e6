/**
 * identity.channel_subjects for Teams, end to end: a real daemon with an `identity:` section and a
 * Teams channel whose flow is a local server answering each approval card the way Power Automate
 * does (the responder's e-mail). alice is enrolled through a real OpenID provider (code + PKCE in
 * headless Chromium), so her record carries her IdP subject. A responder the mapping does not list
 * (even one her record names with --email) and one mapped to a subject nobody enrolled with are
 * refused and recorded, and the card is raised again; alice's e-mail, mapped in another case,
 * approves as alice and the command runs.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver } from '../channels/receiver.js';
import { Rig, type LedgerRow } from '../daemon/helpers.js';
import { chromiumSkipReason, codeLogin, launchChromium, loopbackPage } from './browser.js';
import { startProvider, type TestProvider } from './provider.js';

const ID = /request (rq-[0-9a-f]{12}) is waiting/;

describe.skipIf(chromiumSkipReason())('identity.channel_subjects through Teams', () => {
  let idp: TestProvider;
  let browser: Browser;
  let rig: Rig;
  let flow: Receiver;
  /** Who answers each approval card, in order (mallory is on alice's record, not in the mapping). */
  const responders = ['mallory@example.test', 'eve@example.test', 'alice@example.test'];
  const cards: string[] = [];

  beforeAll(async () => {
    [idp, browser] = await Promise.all([startProvider(), launchChromium()]);
    flow = new Receiver('unused', (req) => {
      const guard = (req.json?.['guard'] ?? {}) as { wants_approval?: boolean; request_id?: string };
      if (req.method !== 'POST' || guard.wants_approval !== true) return { status: 202 };
      cards.push(guard.request_id ?? '');
      const email = responders[Math.min(cards.length, responders.length) - 1]!;
      // the flow's synchronous answer: the Teams approval is over, this is who answered
      return { status: 200, body: JSON.stringify({ outcome: 'Approve', responder: { email }, comments: 'ok' }) };
    });
    await flow.start();
    rig = new Rig(undefined, { GUARD_TEAMS_URL: `${flow.url}/workflows/abc/triggers/manual/run?sig=flow-secret` });
    mkdirSync(rig.env['GUARD_HOME']!, { recursive: true, mode: 0o700 });
    writeFileSync(
      join(rig.env['GUARD_HOME']!, 'config.yaml'),
      `identity:\n  issuer: ${idp.issuer}\n  client_id: guard-cli\n  scopes: [openid, email, groups]\n  allow_insecure_http: true\n  channel_subjects:\n    teams: { Alice@Example.TEST: alice, eve@example.test: eve }\nchannels:\n  retry: { attempts: 3, base_ms: 20, max_ms: 100 }\n  teams:\n    workflow_url_ref: env:GUARD_TEAMS_URL\n    mode: approval\n    allow_insecure_http: true\n`,
    );
    // alice's enrolment is an IdP login whose ID token names her new key: her record keeps `sub`
    writeFileSync(rig.passFile('alice'), 'correct horse alice battery staple\n', { mode: 0o600 });
    const page = await loopbackPage(browser);
    const enrol = ['approver', 'enroll', '--name', 'alice', '--group', 'sre', '--idp'];
    const run = rig.spawnGuard([
      ...enrol,
      '--email',
      'mallory@example.test',
      '--passphrase-file',
      rig.passFile('alice'),
    ]);
    const [, link] = await run.waitFor(/Sign in to enrol this key: (\S+)/);
    await codeLogin(page, link!, 'alice');
    const enrolled = await run.done;
    await page.context().close();
    expect(enrolled.code, enrolled.stderr).toBe(0);
    await rig.startDaemon();
  }, 180_000);

  afterAll(async () => {
    // TEAMS_DEBUG=1 prints the flow's deliveries and what the daemon logged
    if (process.env['TEAMS_DEBUG'] !== undefined) {
      console.log(flow.received.map((r) => `${r.method} ${r.path} ${r.body.slice(0, 300)}`).join('\n'));
      console.log(readFileSync(join(rig.env['GUARD_HOME']!, 'daemon.log'), 'utf8'));
      console.log(JSON.stringify(await rig.ledger()));
    }
    await rig?.cleanup();
    await browser?.close();
    await idp?.stop();
    await flow?.stop();
  });

  it('an unmapped and a wrongly mapped Teams responder are refused and recorded; the mapped one approves', async () => {
    const run = rig.exec('approve-me');
    const [, id] = await run.waitFor(ID);
    const ran = await run.done;
    expect(ran.code, ran.stderr).toBe(0);
    const of = (recs: LedgerRow[], type: string) =>
      recs.filter((r) => r.type === type && (r.payload as { requestId?: string }).requestId === id);
    const recs = await rig.ledger((rs) => of(rs, 'approval').length > 0);
    // each refusal raised the card again: three cards, three responders
    expect(cards).toEqual([id, id, id]);
    const refused = of(recs, 'approval_refused').map((r) => r.payload as { identity: string; reason: string });
    expect(refused).toEqual([
      expect.objectContaining({
        approver: null,
        channel: 'teams',
        identity: 'mallory@example.test',
        code: 'unmapped-identity',
      }),
      expect.objectContaining({
        approver: null,
        channel: 'teams',
        identity: 'eve@example.test',
        code: 'unmapped-identity',
      }),
    ]);
    expect(refused[0]?.reason).toMatch(/not mapped/);
    expect(refused[1]?.reason).toMatch(/no approver is enrolled/);
    expect(of(recs, 'approval')).toHaveLength(1);
    expect(of(recs, 'approval')[0]?.payload).toMatchObject({
      approver: 'alice',
      action: 'approve',
      channel: 'teams',
      identity: 'alice@example.test',
      subject: 'alice',
    });
    expect(rig.marks()).toHaveLength(1);
  }, 120_000);
});
