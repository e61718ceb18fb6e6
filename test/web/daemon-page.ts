/** A real daemon serving its web approval page, a real OpenID provider, and alice signed in with headless Chromium. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { callDaemon } from '../../src/cli/commands/decide-common.js';
import { connectIfRunning } from '../../src/daemon/connect.js';
import { Rig } from '../daemon/helpers.js';
import { enrolWithIdp, launchChromium } from '../identity/browser.js';
import { startProvider, type TestProvider } from '../identity/provider.js';
import { signInAt } from './page.js';
import { SCOPED_POLICY } from '../helpers/scoped-rule.js';

/** The scoped rules plus one that needs a fresh login and allows scoped grants. */
export const STEP_SCOPED_POLICY = `${SCOPED_POLICY}  - id: t.stepscoped
    description: Test rule that needs a fresh login and allows scoped grants
    effect: approve
    match: { program: mark, any_arg: [step-three] }
    approval: { identity: step-up, max_uses: 2, max_ttl: 10m }
`;

export interface DaemonPage {
  idp: TestProvider;
  browser: Browser;
  rig: Rig;
  /** The page's URL (ends in /approve/). */
  url: string;
  /** alice's signed-in browser page. */
  page: Page;
  stop(): Promise<void>;
}

/** Starts the daemon with `policy`, the web page and an IdP; alice (group sre) enrolled and signed in. */
export async function startDaemonPage(policy: string): Promise<DaemonPage> {
  const [idp, browser] = await Promise.all([startProvider(), launchChromium()]);
  const rig = new Rig(policy);
  const stop = async () => {
    await rig.cleanup();
    await browser.close();
    await idp.stop();
  };
  try {
    mkdirSync(rig.env['GUARD_HOME']!, { recursive: true, mode: 0o700 });
    writeFileSync(
      join(rig.env['GUARD_HOME']!, 'config.yaml'),
      `identity:\n  issuer: ${idp.issuer}\n  client_id: guard-cli\n  scopes: [openid, email, groups]\n  allow_insecure_http: true\n  max_clock_skew_seconds: 0\nchannels:\n  http_listener: { bind: 127.0.0.1, port: 0 }\n  web: {}\n`,
    );
    await enrolWithIdp(rig, browser, 'alice', 'sre');
    await rig.startDaemon();
    const client = (await connectIfRunning(rig.env))!;
    const status = await callDaemon(client, { type: 'status' }, false);
    client.close();
    const url = /serving (\S+)/.exec(status.channels.find((c) => c.name === 'web')!.detail)![1]!;
    const page = await signInAt(browser, url, 'alice');
    return { idp, browser, rig, url, page, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
