/**
 * Headless Chromium (Debian's /usr/bin/chromium) through playwright-core, launched with the
 * no-background-networking flags; every request off loopback is aborted.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { existsSync, writeFileSync } from 'node:fs';
import { CHROMIUM, CHROMIUM_QUIET_FLAGS } from '../../src/evidence/pdf.js';
import type { Rig } from '../daemon/helpers.js';

export function chromiumSkipReason(): string | false {
  return existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed`;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    chromiumSandbox: false,
    args: CHROMIUM_QUIET_FLAGS,
  });
}

/** A fresh context (own cookies) whose requests may only reach 127.0.0.1. */
export async function loopbackPage(browser: Browser, viewport?: { width: number; height: number }): Promise<Page> {
  const context = await browser.newContext(viewport === undefined ? {} : { viewport, isMobile: true, hasTouch: true });
  await context.route('**/*', (route) => {
    const host = new URL(route.request().url()).hostname;
    return host === '127.0.0.1' ? route.continue() : route.abort();
  });
  return context.newPage();
}

/** The provider's development login form (user name, any password), then its consent page. */
export async function signIn(page: Page, user: string): Promise<void> {
  await page.locator('input[name=login]').fill(user);
  await page.locator('input[name=password]').fill('any-password');
  await page.locator('button[type=submit]').click();
  await page.getByRole('heading', { name: 'Authorize' }).waitFor();
  await page.getByRole('button', { name: 'Continue' }).click();
}

/** Opens the authorization URL, signs in and waits until the loopback redirect page shows. */
export async function codeLogin(page: Page, url: string, user: string): Promise<void> {
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await signIn(page, user);
  await page.getByText('Signed in.').waitFor();
}

/** Device flow: type the user code at the verification URI, confirm, sign in. */
export async function deviceLogin(page: Page, verificationUri: string, userCode: string, user: string): Promise<void> {
  await page.goto(verificationUri, { waitUntil: 'domcontentloaded' });
  await page.locator('input[name=user_code]').fill(userCode);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Confirm Device' }).waitFor();
  await page.getByRole('button', { name: 'Continue' }).click();
  await signIn(page, user);
  await page.getByRole('heading', { name: 'Sign-in Success' }).waitFor();
}

/**
 * `guard approver enroll --idp` with the real CLI, the browser signing in at the printed link (the
 * first approver bootstraps; later ones are endorsed by `endorser`).
 */
export async function enrolWithIdp(
  rig: Rig,
  browser: Browser,
  name: string,
  group: string,
  endorser?: string,
  extra: string[] = [],
): Promise<void> {
  writeFileSync(rig.passFile(name), `correct horse ${name} battery staple\n`, { mode: 0o600 });
  const page = await loopbackPage(browser);
  const endorse =
    endorser === undefined ? [] : ['--endorse-by', endorser, '--endorser-passphrase-file', rig.passFile(endorser)];
  const run = rig.spawnGuard([
    'approver',
    'enroll',
    '--name',
    name,
    '--group',
    group,
    '--idp',
    '--passphrase-file',
    rig.passFile(name),
    ...endorse,
    ...extra,
  ]);
  // the enrol command derives the key (and the endorser's) before it prints the link: on a loaded
  // machine that alone can pass the rig's default 20 s, so this bound only ends a hang
  const [, link] = await run.waitFor(/Sign in to enrol this key: (\S+)/, 120_000);
  await codeLogin(page, link!, name);
  const r = await run.done;
  await page.context().close();
  if (r.code !== 0) throw new Error(`enrol failed: ${r.stderr}`);
}
