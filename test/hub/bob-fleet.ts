/** One hub replica and one daemon host on a throwaway PostgreSQL, with bob's approver key unlocked (the `guard tui --hub` tests). */
import { readFileSync } from 'node:fs';
import { approverKeyPath, readKeyFile } from '../../src/approval/keyfile.js';
import { unlockApproverKey, type ApproverKey } from '../../src/approval/keys.js';
import { ApproverSession } from '../../src/tui/approver.js';
import type { Rig } from '../daemon/helpers.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';
import { startHost, startReplica, type Replica } from './fleet.js';

export interface BobFleet {
  pg: Postgres;
  replica: Replica;
  rig: Rig;
  bob: ApproverKey;
}

export async function startBobFleet(host: string): Promise<BobFleet> {
  const pg = await startPostgres();
  const replica = await startReplica(pg);
  const rig = await startHost(pg, [replica], replica.url, host);
  const pass = readFileSync(rig.passFile('bob'), 'utf8').trim();
  const bob = unlockApproverKey(readKeyFile(approverKeyPath(rig.env, 'bob')), Buffer.from(pass));
  return { pg, replica, rig, bob };
}

export async function stopBobFleet(f: Partial<BobFleet>): Promise<void> {
  f.bob?.dispose();
  await f.rig?.cleanup();
  f.replica?.child.kill('SIGKILL');
  await f.pg?.destroy();
}

/** bob's TUI approver session (locked until the TUI unlocks it). */
export function bobSession(rig: Rig): ApproverSession {
  return new ApproverSession({
    env: rig.env,
    name: 'bob',
    windowMs: 60_000,
    now: () => Date.now(),
    enrolled: () => undefined,
  });
}
