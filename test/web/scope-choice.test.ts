/**
 * The scope menu on the daemon's web approval page (issue #23, decision 1089), with a real daemon,
 * a real OpenID provider and headless Chromium: for a rule with `max_uses` / `max_ttl` the approve
 * form offers the grants the rule allows as radio buttons ("once" checked), each labelled with the
 * exact scope text; choosing "3 uses" grants exactly that text. The form is CSRF-protected like the
 * rest of the page, and the daemon re-checks the choice against the rule's bounds: a hand-made post
 * naming more uses or a longer time is refused and recorded; a malformed choice grants nothing.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerRow, Rig } from '../daemon/helpers.js';
import { heldIn, runIn } from '../helpers/scoped-rule.js';
import { chromiumSkipReason } from '../identity/browser.js';
import { STEP_SCOPED_POLICY as POLICY, startDaemonPage, type DaemonPage } from './daemon-page.js';
import { checkPhoneLayout, idpLogin, outcome as shownOutcome } from './page.js';

describe.skipIf(chromiumSkipReason())('scope menu on the web approval page', () => {
  let rig: Rig;
  let url: string;
  let page: Page;

  const held = (session: string, ...args: string[]) => heldIn(rig, session, ...args);
  const run = (session: string, ...args: string[]) => runIn(rig, session, ...args);
  const of = (recs: LedgerRow[], id: string, type: string) =>
    recs.filter((r) => r.type === type && r.payload['requestId'] === id);
  const outcome = () => shownOutcome(page);
  /** The hidden fields of the approve form as shown (view hash, CSRF token). */
  async function hidden(): Promise<{ view: string; csrf: string }> {
    const form = page.locator('form:has(button.approve)');
    return {
      view: await form.locator('input[name=view]').inputValue(),
      csrf: await form.locator('input[name=csrf]').inputValue(),
    };
  }

  let web: DaemonPage;
  beforeAll(async () => {
    web = await startDaemonPage(POLICY);
    ({ rig, url, page } = web);
  }, 180_000);

  afterAll(async () => {
    await web?.stop();
  });

  it('"3 uses" grants exactly the text shown beside it; "once" is the default', async () => {
    const id = await held('S-1', 'three-me');
    await page.goto(`${url}r/${id}`, { waitUntil: 'domcontentloaded' });
    const radios = page.locator('input[type=radio][name=scope]');
    expect(await radios.count()).toBe(4);
    expect(await radios.first().isChecked()).toBe(true);
    const choice = page.locator('label.choice', { has: page.locator('strong', { hasText: /^3 uses$/ }) });
    const shown = await choice.locator('.cmd').innerText();
    await checkPhoneLayout(page);
    expect(shown).toMatch(/^exactly `.*three-me` in .* by \S+ \(agent claude-code\), at most 3 uses within 15 min$/);
    await choice.locator('input').check();
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    expect(await outcome()).toMatch(/^Recorded/);
    const recs = await rig.ledger((rs) => of(rs, id, 'approval').length > 0);
    const approval = of(recs, id, 'approval')[0]!.payload;
    expect(approval).toMatchObject({ approver: 'alice', action: 'approve', channel: 'web' });
    expect(approval['grant']).toEqual({ uses: 3, ttlSeconds: 900, scope: shown });
    for (let i = 0; i < 3; i++) expect((await run('S-1', 'three-me')).code).toBe(0);
    expect(rig.marks()).toHaveLength(3);
    expect((await run('S-1', 'three-me')).code).toBe(75);
    expect(rig.marks()).toHaveLength(3);
  }, 120_000);

  it('a hand-made post naming more uses or a longer time is refused and recorded; a malformed one grants nothing', async () => {
    const id = await held('S-2', 'three-me', 'forged');
    await page.goto(`${url}r/${id}`, { waitUntil: 'domcontentloaded' });
    const { view, csrf } = await hidden();
    const post = (scope: string) =>
      page.request.post(`${url}r/${id}`, { form: { action: 'approve', view, csrf, scope } });
    const tooMany = await post('u1000-t900');
    expect(tooMany.status()).toBe(403);
    expect(await tooMany.text()).toContain('uses must be 1–3 (policy max_uses)');
    const tooLong = await post('u3-t999999');
    expect(tooLong.status()).toBe(403);
    expect(await tooLong.text()).toContain('at most 3600 s (policy max_ttl)');
    const malformed = await post('u3-t900;uses=1000');
    expect(malformed.status()).toBe(400);
    expect(await malformed.text()).toContain('malformed choice');
    // without the session's CSRF token the choice is not even read
    const noToken = await page.request.post(`${url}r/${id}`, {
      form: { action: 'approve', view, csrf: 'x'.repeat(43), scope: 'u3-t900' },
    });
    expect(noToken.status()).toBe(403);
    expect(await noToken.text()).toMatch(/CSRF/);
    const recs = await rig.ledger((rs) => of(rs, id, 'approval_refused').length >= 2);
    const refused = of(recs, id, 'approval_refused').map((r) => r.payload);
    expect(refused).toHaveLength(2);
    for (const r of refused) expect(r).toMatchObject({ code: 'grant-refused', channel: 'web', approver: 'alice' });
    expect(refused.map((r) => (r['grant'] as { uses: number }).uses)).toEqual([1000, 3]);
    expect(of(recs, id, 'approval')).toHaveLength(0);
    // the request is still open: the page's own form approves it once
    await page.goto(`${url}r/${id}`, { waitUntil: 'domcontentloaded' });
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    expect(await outcome()).toMatch(/^Recorded/);
    const after = await rig.ledger((rs) => of(rs, id, 'approval').length > 0);
    expect(of(after, id, 'approval')[0]!.payload['grant']).toBeUndefined();
  }, 120_000);

  it('a rule without max_uses / max_ttl shows no choice, and a posted scope is refused and recorded', async () => {
    const id = await held('S-3', 'approve-me');
    await page.goto(`${url}r/${id}`, { waitUntil: 'domcontentloaded' });
    expect(await page.locator('input[name=scope]').count()).toBe(0);
    const { view, csrf } = await hidden();
    const r = await page.request.post(`${url}r/${id}`, { form: { action: 'approve', view, csrf, scope: 'u2-t60' } });
    expect(r.status()).toBe(403);
    expect(await r.text()).toContain('the policy allows no scoped grant for this request');
    const recs = await rig.ledger((rs) => of(rs, id, 'approval_refused').length > 0);
    expect(of(recs, id, 'approval_refused')[0]!.payload).toMatchObject({ code: 'grant-refused', channel: 'web' });
    expect(of(recs, id, 'approval')).toHaveLength(0);
  }, 120_000);

  it('a step-up rule keeps the chosen scope across the fresh login', async () => {
    const id = await held('S-4', 'step-three');
    await page.goto(`${url}r/${id}`, { waitUntil: 'domcontentloaded' });
    const choice = page.locator('label.choice', { has: page.locator('strong', { hasText: /^2 uses$/ }) });
    const shown = await choice.locator('.cmd').innerText();
    await choice.locator('input').check();
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    // max_age=0 / prompt=login: the provider asks for the password again
    await idpLogin(page, 'alice', 'Recorded|Refused');
    expect(await outcome()).toMatch(/^Recorded/);
    const recs = await rig.ledger((rs) => of(rs, id, 'approval').length > 0);
    const approval = of(recs, id, 'approval')[0]!.payload;
    expect(approval['stepUp']).toBeDefined();
    expect(approval['grant']).toEqual({ uses: 2, ttlSeconds: 600, scope: shown });
  }, 120_000);
});
