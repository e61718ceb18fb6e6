/**
 * Batch review of one agent session on the daemon's web approval page (issue #23, decision 1113),
 * with a real daemon, a real OpenID provider and headless Chromium: the session's page shows each
 * open request in full; "Approve all" records one channel vote per request shown, each over its own
 * fingerprint, as the IdP-verified approver. A request of another session, a step-up request and one
 * that arrived after the page was shown stay pending. A form without the session's CSRF token, or
 * naming a view that changed, decides nothing; "Deny all" takes one reason.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerRow, Rig } from '../daemon/helpers.js';
import { fingerprintOf, stateOf } from '../helpers/batch-review.js';
import { heldIn } from '../helpers/scoped-rule.js';
import { chromiumSkipReason } from '../identity/browser.js';
import { startDaemonPage, type DaemonPage } from './daemon-page.js';
import { outcome, WEB_POLICY } from './page.js';

describe.skipIf(chromiumSkipReason())('agent session batch on the web approval page', () => {
  let rig: Rig;
  let url: string;
  let page: Page;
  let web: DaemonPage;
  const approvals = (recs: LedgerRow[]) => recs.filter((r) => r.type === 'approval');

  beforeAll(async () => {
    web = await startDaemonPage(WEB_POLICY);
    ({ rig, url, page } = web);
  }, 180_000);
  afterAll(async () => {
    await web?.stop();
  });

  it('Approve all: one vote per request shown, each over its own fingerprint; nothing else decided', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await heldIn(rig, 'W-1', 'web-me', `n${i}`));
    const stepUp = await heldIn(rig, 'W-1', 'step-me');
    const other = await heldIn(rig, 'W-2', 'web-me', 'other');
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    await page.getByRole('link', { name: 'Review all 4 requests of agent session W-1' }).click();
    await page.locator('h1', { hasText: 'Agent session W-1: 4 requests' }).waitFor();
    // each request in full, with its fingerprint
    for (const id of [...ids, stepUp])
      expect(await page.locator(`#req-${id} pre`).innerText()).toContain(`fingerprint ${await fingerprintOf(rig, id)}`);
    expect(await page.locator(`#req-${other}`).count()).toBe(0);
    expect(await page.locator(`#step-up-${stepUp}`).innerText()).toMatch(/Not part of Approve all/);

    // a form without the session's CSRF token, and one naming a changed view, decide nothing
    const form = async (over: Record<string, string>) => {
      const fields = new URLSearchParams();
      for (const input of await page.locator('form:has(button.approve) input[type=hidden]').all()) {
        const name = (await input.getAttribute('name'))!;
        fields.append(name, over[name] ?? (await input.getAttribute('value'))!);
      }
      expect(fields.getAll('r')).toHaveLength(3);
      return page.request.post(`${url}s/W-1`, {
        data: fields.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
    };
    const forged = await form({ csrf: 'x'.repeat(43) });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toMatch(/CSRF/);
    const changed = await form({ [`v:${ids[0]!}`]: 'A'.repeat(43) });
    expect(changed.status()).toBe(409);
    expect(approvals(await rig.ledger())).toHaveLength(0);

    // arrives after the page was shown: not part of the form
    const late = await heldIn(rig, 'W-1', 'web-me', 'late');
    await page.getByRole('button', { name: 'Approve all 3', exact: true }).click();
    expect(await outcome(page)).toBe('Recorded: 3 of 3 approvals of agent session W-1 recorded, each as its own vote.');

    const recs = approvals(await rig.ledger((rs) => approvals(rs).length >= 3));
    expect(recs.map((r) => r.payload['requestId']).sort()).toEqual([...ids].sort());
    for (const r of recs) {
      expect(r.payload).toMatchObject({
        approver: 'alice',
        action: 'approve',
        channel: 'web',
        identity: 'alice',
        verifiedBy: `idp:${web.idp.issuer}`,
        reason: 'batch approve of 3 requests in session W-1',
      });
      expect(r.payload['fingerprint']).toBe(await fingerprintOf(rig, r.payload['requestId'] as string));
    }
    for (const id of ids) expect(await stateOf(rig, id)).toBe('approved');
    for (const id of [stepUp, other, late]) expect(await stateOf(rig, id)).toBe('pending');
  }, 180_000);

  it('Deny all: one reason, every request shown denied, the step-up one included', async () => {
    await page.goto(`${url}s/W-1`, { waitUntil: 'domcontentloaded' });
    await page.locator('h1', { hasText: 'Agent session W-1: 2 requests' }).waitFor();
    await page.locator('form:has(button.deny) textarea').fill('not during the freeze');
    await page.getByRole('button', { name: 'Deny all 2', exact: true }).click();
    expect(await outcome(page)).toBe('Recorded: 2 of 2 denials of agent session W-1 recorded, each as its own vote.');
    const denials = (await rig.ledger()).filter((r) => r.type === 'approval' && r.payload['action'] === 'deny');
    expect(denials).toHaveLength(2);
    for (const d of denials)
      expect(d.payload['reason']).toBe('not during the freeze — batch deny of 2 requests in session W-1');
  }, 180_000);
});
