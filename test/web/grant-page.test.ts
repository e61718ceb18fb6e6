/**
 * Extending and revoking a grant from the daemon's web approval page (issue #23, decisions 1092,
 * 1093), with a real daemon, a real OpenID provider and headless Chromium. The page lists the live
 * grants with their uses left and expiry; the Extend form offers what the daemon's `extendOffer`
 * allows and goes through the Slack extension path (the IdP subject mapped to the enrolled approver),
 * recorded `grant_extended`; a forged or replayed extension is refused and recorded
 * (`approval_refused`, action `extend`). Revoke stops the next use, recorded with the approver and
 * the IdP subject; an approver removed after signing in is signed out at the next step. A step-up rule's grant is not
 * offered an extension and a forged one is refused. Posts without the session's CSRF token change nothing.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerRow, Rig } from '../daemon/helpers.js';
import { heldIn, runIn } from '../helpers/scoped-rule.js';
import { chromiumSkipReason, enrolWithIdp } from '../identity/browser.js';
import type { TestProvider } from '../identity/provider.js';
import { STEP_SCOPED_POLICY as POLICY, startDaemonPage, type DaemonPage } from './daemon-page.js';
import { approveAt, grantFields, idpLogin, outcome as shownOutcome, signInAt } from './page.js';

describe.skipIf(chromiumSkipReason())('live grants on the web approval page', () => {
  let idp: TestProvider;
  let rig: Rig;
  let url: string;
  let page: Page;

  const held = (session: string, ...args: string[]) => heldIn(rig, session, ...args);
  const run = (session: string, ...args: string[]) => runIn(rig, session, ...args);
  const of = (recs: LedgerRow[], id: string, type: string) =>
    recs.filter((r) => r.type === type && r.payload['requestId'] === id);
  const outcome = () => shownOutcome(page);
  const card = (id: string) => page.locator(`#grant-${id}`);

  /** Approves a held request on the page with the scope labelled `scope` (default "once"). */
  async function approve(id: string, scope?: string): Promise<void> {
    expect(await approveAt(page, `${url}r/${id}`, scope)).toMatch(/^Recorded/);
  }

  /** The hidden fields of a live grant's form (`Extend` or `Revoke`) as the page shows them. */
  const fields = (id: string, button: string) => grantFields(page, url, `#grant-${id}`, button);

  let web: DaemonPage;
  beforeAll(async () => {
    web = await startDaemonPage(POLICY);
    ({ idp, rig, url, page } = web);
  }, 180_000);

  afterAll(async () => {
    await web?.stop();
  });

  it('Extend widens the grant to what the rule allows: used up to the new bound, the next run held; the same form replayed is refused', async () => {
    const id = await held('S-1', 'three-me');
    await approve(id);
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    expect(await card(id).locator('.uses').innerText()).toMatch(/^1 use\(s\) left, until \d{4}-/);
    expect(await card(id).locator('.offer').innerText()).toMatch(/^Extend to 3 use\(s\) left, until /);
    const shown = await fields(id, 'Extend');
    expect(shown).toMatchObject({ action: 'extend', from_uses: '1', to_uses: '3' });
    await card(id).getByRole('button', { name: 'Extend', exact: true }).click();
    expect(await outcome()).toBe(`Recorded: Your extension of ${id} is recorded.`);
    const recs = await rig.ledger((rs) => of(rs, id, 'grant_extended').length > 0);
    const ext = of(recs, id, 'grant_extended')[0]!.payload;
    expect(ext).toMatchObject({ approver: 'alice', channel: 'web', from: { usesLeft: 1 }, to: { usesLeft: 3 } });
    // the provider's subject for alice is her login name
    expect(ext).toMatchObject({ identity: 'alice', verifiedBy: `idp:${idp.issuer}` });
    // the replayed form names the grant as it was: refused, recorded, nothing more granted
    const replay = await page.request.post(`${url}g/${id}`, { form: shown });
    expect(replay.status()).toBe(403);
    expect(await replay.text()).toMatch(/changed since it was shown/);
    for (let i = 0; i < 3; i++) expect((await run('S-1', 'three-me')).code).toBe(0);
    expect(rig.marks()).toHaveLength(3);
    expect((await run('S-1', 'three-me')).code).toBe(75);
    expect(rig.marks()).toHaveLength(3);
    const after = await rig.ledger((rs) => of(rs, id, 'approval_refused').length > 0);
    expect(of(after, id, 'approval_refused')[0]!.payload).toMatchObject({
      action: 'extend',
      channel: 'web',
      code: 'extend-refused',
    });
    expect(of(after, id, 'grant_extended')).toHaveLength(1);
  }, 120_000);

  it('a hand-made extension beyond the bounds is refused and recorded; without the CSRF token nothing is read', async () => {
    const id = await held('S-2', 'three-me', 'forged');
    await approve(id);
    const shown = await fields(id, 'Extend');
    const forge = (f: Record<string, string>) => page.request.post(`${url}g/${id}`, { form: { ...shown, ...f } });
    const tooMany = await forge({ to_uses: '1000' });
    expect(tooMany.status()).toBe(403);
    expect(await tooMany.text()).toContain('at most 3 uses (policy max_uses)');
    const tooLong = await forge({ to_expires: new Date(Date.now() + 86_400_000).toISOString() });
    expect(tooLong.status()).toBe(403);
    expect(await tooLong.text()).toContain('(policy max_ttl)');
    const noToken = await forge({ csrf: 'x'.repeat(43) });
    expect(noToken.status()).toBe(403);
    expect(await noToken.text()).toMatch(/CSRF/);
    const noRevoke = await page.request.post(`${url}g/${id}`, { form: { action: 'revoke', csrf: 'x'.repeat(43) } });
    expect(noRevoke.status()).toBe(403);
    const recs = await rig.ledger((rs) => of(rs, id, 'approval_refused').length >= 2);
    const refused = of(recs, id, 'approval_refused').map((r) => r.payload);
    expect(refused).toHaveLength(2);
    for (const r of refused) expect(r).toMatchObject({ action: 'extend', channel: 'web', code: 'extend-refused' });
    expect(of(recs, id, 'grant_extended')).toHaveLength(0);
    expect(of(recs, id, 'grant_revoked')).toHaveLength(0);
    // the grant is as approved: one use, then held
    expect((await run('S-2', 'three-me', 'forged')).code).toBe(0);
    expect((await run('S-2', 'three-me', 'forged')).code).toBe(75);
  }, 120_000);

  it('Revoke stops the next use of the grant, and the ledger names the approver and the IdP subject', async () => {
    const id = await held('S-3', 'three-me', 'revoke');
    await approve(id, '3 uses');
    expect((await run('S-3', 'three-me', 'revoke')).code).toBe(0);
    const before = rig.marks().length;
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    expect(await card(id).locator('.uses').innerText()).toMatch(/^2 use\(s\) left/);
    await card(id).getByRole('button', { name: 'Revoke', exact: true }).click();
    expect(await outcome()).toBe(`Recorded: Your revocation of ${id} is recorded.`);
    const recs = await rig.ledger((rs) => of(rs, id, 'grant_revoked').length > 0);
    const revoked = of(recs, id, 'grant_revoked')[0]!.payload;
    expect(revoked).toMatchObject({
      scope: 'grant',
      by: 'alice (web alice)',
      approver: 'alice',
      channel: 'web',
      identity: 'alice',
      verifiedBy: `idp:${idp.issuer}`,
    });
    expect((await run('S-3', 'three-me', 'revoke')).code).toBe(75);
    expect(rig.marks()).toHaveLength(before);
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    expect(await card(id).count()).toBe(0);
  }, 120_000);

  it("a step-up rule's grant is not offered an extension, a forged one is refused and recorded; it can be revoked", async () => {
    const id = await held('S-4', 'step-three');
    await page.goto(`${url}r/${id}`, { waitUntil: 'domcontentloaded' });
    await page
      .locator('label.choice', { has: page.locator('strong', { hasText: /^2 uses$/ }) })
      .locator('input')
      .check();
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await idpLogin(page, 'alice', 'Recorded|Refused');
    expect(await outcome()).toMatch(/^Recorded/);
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    const uses = await card(id).locator('.uses').innerText();
    const expires = /until (\S+)$/.exec(uses)![1]!;
    expect(uses).toMatch(/^2 use\(s\) left/);
    expect(await card(id).getByRole('button', { name: 'Extend', exact: true }).count()).toBe(0);
    const { csrf } = await fields(id, 'Revoke');
    const later = new Date(Date.parse(expires) + 60_000).toISOString();
    const forged = await page.request.post(`${url}g/${id}`, {
      form: { action: 'extend', csrf: csrf!, from_uses: '2', from_expires: expires, to_uses: '2', to_expires: later },
    });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain('needs a fresh sign-in');
    const recs = await rig.ledger((rs) => of(rs, id, 'approval_refused').length > 0);
    expect(of(recs, id, 'approval_refused')[0]!.payload).toMatchObject({ action: 'extend', code: 'extend-refused' });
    expect(of(recs, id, 'grant_extended')).toHaveLength(0);
    await card(id).getByRole('button', { name: 'Revoke', exact: true }).click();
    expect(await outcome()).toMatch(/^Recorded/);
    expect((await run('S-4', 'step-three')).code).toBe(75);
  }, 120_000);

  it('an approver removed after signing in is signed out at the next step: the stale Revoke is refused, nothing changes', async () => {
    await enrolWithIdp(rig, web.browser, 'bob', 'staff', 'alice');
    const bob = await signInAt(web.browser, url, 'bob');
    const id = await held('S-5', 'three-me', 'removed');
    await approve(id, '3 uses');
    await bob.goto(url, { waitUntil: 'domcontentloaded' });
    const revoke = bob.locator(`#grant-${id}`).getByRole('button', { name: 'Revoke', exact: true });
    await revoke.waitFor();
    const removed = await rig.guard(['approver', 'remove', 'bob', '--reason', 'left the team']);
    expect(removed.code, removed.stderr).toBe(0);
    // the page bob still has open offers Revoke; his session no longer stands behind it
    await revoke.click();
    expect(await shownOutcome(bob)).toBe('Refused: not signed in (the session expired or ended); sign in again');
    await bob.goto(url, { waitUntil: 'domcontentloaded' });
    await bob.getByRole('link', { name: 'Sign in' }).waitFor();
    expect(await bob.locator(`#grant-${id}`).count()).toBe(0);
    const recs = await rig.ledger();
    expect(of(recs, id, 'grant_revoked')).toHaveLength(0);
    expect((await run('S-5', 'three-me', 'removed')).code).toBe(0);
  }, 120_000);
});
