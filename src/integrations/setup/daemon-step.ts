/** `guard init` steps that talk to the daemon and the ledger. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Io } from '../../cli/io.js';
import { guardPaths } from '../../config/paths.js';
import type { DaemonStatus } from '../../daemon/messages.js';
import { errorLines } from '../../errors.js';
import { genesisKeyOf } from '../../ledger/local.js';
import { formatPubkeyFile, genesisFingerprint } from '../../ledger/pubkey.js';
import { errorText, type Check } from './check.js';

/** Reach the daemon, starting it when none runs; report what it runs. */
export async function startDaemon(env: NodeJS.ProcessEnv): Promise<{ check: Check; status: DaemonStatus | undefined }> {
  try {
    const { connectDaemon } = await import('../../daemon/connect.js');
    const { ask } = await import('../../daemon/replies.js');
    const client = await connectDaemon(env);
    try {
      const status = await ask(client, { type: 'status' });
      const detail = `running (pid ${status.pid}, guard ${status.version}); policy ${status.policy.digest.slice(0, 16)} from ${status.policy.files.length} file(s)`;
      return { check: { name: 'daemon', status: 'ok', detail }, status };
    } finally {
      client.close();
    }
  } catch (err) {
    const e = errorText(err);
    return {
      check: {
        name: 'daemon',
        status: 'fail',
        detail: e.message,
        hint: e.hint ?? 'run `guard daemon start --foreground` to see why it does not start',
      },
      status: undefined,
    };
  }
}

export function pubkeyFile(env: NodeJS.ProcessEnv): string {
  return join(guardPaths(env).home, 'ledger.pub');
}

/**
 * The genesis key of the ledger (as `guard ledger pubkey` shows it), written to GUARD_HOME/ledger.pub
 * for pinning. An existing ledger.pub with another key is never replaced: that means the ledger
 * was re-created since it was pinned, which the security team must hear about.
 */
export async function pinLedgerKey(
  io: Io,
): Promise<{ check: Check; key: string | undefined; fingerprint: string | undefined }> {
  let key: string;
  try {
    key = genesisKeyOf(guardPaths(io.env).ledgerDb);
  } catch (err) {
    return {
      check: {
        name: 'ledger',
        status: 'fail',
        detail: `cannot read the ledger key: ${errorLines(err)}`,
        hint: 'run `guard doctor`',
      },
      key: undefined,
      fingerprint: undefined,
    };
  }
  const fingerprint = genesisFingerprint(key);
  const file = pubkeyFile(io.env);
  const text = formatPubkeyFile(key);
  let existing: string | undefined;
  try {
    existing = readFileSync(file, 'utf8');
  } catch {
    existing = undefined;
  }
  if (existing !== undefined && existing !== text) {
    return {
      check: {
        name: 'ledger',
        status: 'fail',
        detail: `${file} pins another key than this ledger's genesis key ${fingerprint}`,
        hint: 'the ledger was re-created since the key was pinned: tell whoever verifies exports; move the old file away to pin the new key',
      },
      key,
      fingerprint,
    };
  }
  if (existing === undefined) writeFileSync(file, text, { mode: 0o644 });
  return {
    check: {
      name: 'ledger',
      status: 'ok',
      detail: `genesis key ${fingerprint} ${existing === undefined ? 'written to' : 'already pinned in'} ${file}`,
    },
    key,
    fingerprint,
  };
}
