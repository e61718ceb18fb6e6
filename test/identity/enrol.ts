/** Enrolling an approver whose key is bound to the test IdP's subject (`approver enroll --idp`), signed in with Chromium. */
import { writeFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import type { Rig } from '../daemon/helpers.js';
import { codeLogin, loopbackPage } from './browser.js';

export async function enrolWithIdp(rig: Rig, browser: Browser, name: string, group: string): Promise<void> {
  writeFileSync(rig.passFile(name), `correct horse ${name} battery staple\n`, { mode: 0o600 });
  const page = await loopbackPage(browser);
  const enrol = rig.spawnGuard([
    'approver',
    'enroll',
    '--name',
    name,
    '--group',
    group,
    '--idp',
    '--passphrase-file',
    rig.passFile(name),
  ]);
  const [, url] = await enrol.waitFor(/Sign in to enrol this key: (\S+)/);
  await codeLogin(page, url!, name);
  const r = await enrol.done;
  await page.context().close();
  if (r.code !== 0) throw new Error(`enrol failed: ${r.stderr}`);
}
