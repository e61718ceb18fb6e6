/** A host for the hub web page tests: a daemon joined to the hub with an IdP, alice enrolled by her IdP login. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { MARK, Rig } from '../daemon/helpers.js';
import type { Postgres } from '../helpers/postgres.js';
import { enrolWithIdp } from '../identity/browser.js';
import { ID, WEB_POLICY } from '../web/page.js';
import { joinHost, until } from './fleet.js';

/** Joins a daemon to the hub at `hubUrl` with the `identity:` section given, enrols alice (sre) and starts it. */
export async function startIdpHost(
  pg: Postgres,
  browser: Browser,
  hubUrl: string,
  name: string,
  identity: string,
  policy = WEB_POLICY,
): Promise<Rig> {
  const rig = new Rig(policy);
  const section = await joinHost(rig, pg, hubUrl, name);
  mkdirSync(rig.env['GUARD_HOME']!, { recursive: true, mode: 0o700 });
  writeFileSync(join(rig.env['GUARD_HOME']!, 'config.yaml'), `${section}\n${identity}`);
  await enrolWithIdp(rig, browser, 'alice', 'sre');
  await rig.startDaemon();
  // the host's link distributes alice's IdP subject to the hub with her key
  await until(
    () => pg.sql(`SELECT count(*) FROM host_approvers WHERE idp_subject = 'alice'`).trim() === '1',
    "alice's subject on the hub",
  );
  return rig;
}

/** Raises a request on the host and waits until the hub holds it with the host's fingerprint. */
export async function raiseOnHub(rig: Rig, pg: Postgres, ...args: string[]) {
  const run = rig.spawnGuard(['exec', '--', MARK, rig.marker, ...args], { timeoutMs: 110_000 });
  const [, id] = await run.waitFor(ID);
  await until(
    () => pg.sql(`SELECT view ? 'fingerprint' FROM requests WHERE request_id = '${id!}'`).trim() === 't',
    `${id!} raised on the hub`,
  );
  return { run, id: id! };
}
