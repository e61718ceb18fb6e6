/** Shared steps of the web approval page tests (the daemon's page and the hub's): Chromium at phone size. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import { TEST_POLICY } from '../daemon/helpers.js';
import { loopbackPage } from '../identity/browser.js';

export const PHONE = { width: 390, height: 844 };

export const ID = /request (rq-[0-9a-f]{12}) is waiting/;

/** `mark … web-me` needs one sre approval; `mark … step-me` a step-up approval by sre. */
export const WEB_POLICY = `${TEST_POLICY}  - id: t.web
    description: Test rule that needs one sre approval
    effect: approve
    risk: high
    match: { program: mark, any_arg: [web-me] }
    approval: { timeout: 120s, groups: [sre] }
  - id: t.stepup
    description: Test rule that needs a fresh IdP login to approve
    effect: approve
    match: { program: mark, any_arg: [step-me] }
    approval: { timeout: 120s, groups: [sre], identity: step-up }
`;

/** A fresh phone-sized browser signed in as `user` on the page at `url` (or refused). */
export async function signInAt(browser: Browser, url: string, user: string): Promise<Page> {
  const page = await loopbackPage(browser, PHONE);
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.getByRole('link', { name: 'Sign in' }).click();
  await idpLogin(page, user, 'Waiting for approval|Sign-in refused');
  return page;
}

/** The provider's login form; its consent page when it asks (not on a repeated login). */
export async function idpLogin(page: Page, user: string, done: string): Promise<void> {
  await page.locator('input[name=login]').fill(user);
  await page.locator('input[name=password]').fill('any-password');
  await page.locator('button[type=submit]').click();
  const consent = page.getByRole('button', { name: 'Continue' });
  const finished = page.locator('h1', { hasText: new RegExp(done) });
  await consent.or(finished).first().waitFor();
  if (await consent.isVisible()) await consent.click();
  await finished.waitFor();
}

/** The page's answer to a decision: its heading and message. */
export async function outcome(page: Page): Promise<string> {
  await page.locator('h1', { hasText: /Recorded|Refused|Changed|Not waiting|Error|Sign-in refused/ }).waitFor();
  return `${await page.locator('h1').innerText()}: ${await page.locator('.msg').innerText()}`;
}

/** No horizontal scrolling, and each decision button fully inside the phone's width and tall enough to tap. */
export async function checkPhoneLayout(page: Page): Promise<void> {
  // a string expression: evaluated in the page (this file is not compiled with the DOM types)
  const { scroll, inner } = await page.evaluate<{ scroll: number; inner: number }>(
    '({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth })',
  );
  expect(inner).toBe(PHONE.width);
  expect(scroll).toBeLessThanOrEqual(inner);
  for (const name of ['Approve', 'Deny', 'Ask']) {
    const b = page.getByRole('button', { name, exact: true });
    expect(await b.isVisible()).toBe(true);
    const box = (await b.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
    expect(box.height).toBeGreaterThanOrEqual(44);
  }
}

/**
 * The CSRF attempts on a request's page `target`: an approve form on another loopback site (same-site
 * for cookies: only the token and the origin check stop it), then a same-origin post with the session
 * cookie but no token of the session. Both must be refused.
 */
export async function refusesForgedForms(page: Page, target: string): Promise<void> {
  await page.goto(target, { waitUntil: 'domcontentloaded' });
  const view = await page.locator('input[name=view]').first().inputValue();
  const evil: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(
      `<form method="post" action="${target}"><input type="hidden" name="action" value="approve"><input type="hidden" name="view" value="${view}"><input type="hidden" name="csrf" value="guessed"><button>win a prize</button></form>`,
    );
  });
  await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', () => resolve()));
  try {
    await page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
    await page.getByRole('button', { name: 'win a prize' }).click();
    await page.locator('h1', { hasText: 'Refused' }).waitFor();
    expect(await page.locator('.msg').innerText()).toMatch(/cross-site/);
  } finally {
    evil.close();
  }
  const r = await page.request.post(target, { form: { action: 'approve', view, csrf: 'x'.repeat(43) } });
  expect(r.status()).toBe(403);
  expect(await r.text()).toMatch(/CSRF/);
}

/** Opens the request page `target`, picks the grant labelled `scope` (none: "once") and clicks Approve; the outcome shown. */
export async function approveAt(page: Page, target: string, scope?: string): Promise<string> {
  await page.goto(target, { waitUntil: 'domcontentloaded' });
  if (scope !== undefined)
    await page
      .locator('label.choice', { has: page.locator('strong', { hasText: new RegExp(`^${scope}$`) }) })
      .locator('input')
      .check();
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  return outcome(page);
}

/** The hidden fields of a live grant's form (`Extend` or `Revoke`) in the card `cardSelector` of the list page `url`. */
export async function grantFields(
  page: Page,
  url: string,
  cardSelector: string,
  button: string,
): Promise<Record<string, string>> {
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  const inputs = page.locator(cardSelector).locator(`form:has(button:text-is("${button}")) input[type=hidden]`);
  const out: Record<string, string> = {};
  for (const input of await inputs.all())
    out[(await input.getAttribute('name'))!] = (await input.getAttribute('value'))!;
  return out;
}
