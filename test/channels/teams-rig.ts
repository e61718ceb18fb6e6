/** A real daemon (the scoped-grant test policy) whose Teams channel posts to a local flow; alice approves by e-mail. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rig } from '../daemon/helpers.js';
import { SCOPED_POLICY } from '../helpers/scoped-rule.js';

/** `teams` holds the extra lines of the `teams:` section (each `    key: value\n`). */
export async function teamsRig(flowUrl: string, teams: string): Promise<Rig> {
  const rig = new Rig(SCOPED_POLICY, {
    GUARD_TEAMS_URL: `${flowUrl}/workflows/abc/triggers/manual/run?sig=flow-secret`,
  });
  mkdirSync(rig.env['GUARD_HOME']!, { recursive: true, mode: 0o700 });
  writeFileSync(
    join(rig.env['GUARD_HOME']!, 'config.yaml'),
    `channels:\n  retry: { attempts: 3, base_ms: 20, max_ms: 100 }\n  teams:\n    workflow_url_ref: env:GUARD_TEAMS_URL\n    mode: approval\n    allow_insecure_http: true\n${teams}`,
  );
  await rig.enroll('alice', ['ops'], undefined, ['--email', 'alice@example.test']);
  await rig.startDaemon();
  return rig;
}
