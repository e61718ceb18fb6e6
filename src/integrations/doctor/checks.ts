/** `guard doctor`'s checks of the running installation: daemon, policy, ledger, key store, channels. */
import { existsSync } from 'node:fs';
import type { Io } from '../../cli/io.js';
import { guardPaths } from '../../config/paths.js';
import type { DaemonStatus } from '../../daemon/messages.js';
import { errorLines } from '../../errors.js';
import { loadPinnedKey, openForReading, verifyLedgerDb } from '../../ledger/local.js';
import { readRecords } from '../../ledger/read.js';
import { errorText, type Check } from '../setup/check.js';
import { pubkeyFile } from '../setup/daemon-step.js';

export async function daemonCheck(env: NodeJS.ProcessEnv): Promise<{ check: Check; status: DaemonStatus | undefined }> {
  const { DaemonClient } = await import('../../daemon/client.js');
  const { ask } = await import('../../daemon/replies.js');
  const socket = guardPaths(env).socket;
  try {
    const client = await DaemonClient.connect(socket, 2000);
    try {
      const status = await ask(client, { type: 'status' });
      return {
        check: {
          name: 'daemon',
          status: 'ok',
          detail: `reachable at ${socket} (pid ${status.pid}, guard ${status.version})`,
        },
        status,
      };
    } finally {
      client.close();
    }
  } catch (err) {
    return {
      check: {
        name: 'daemon',
        status: 'fail',
        detail: `not reachable at ${socket}: ${errorText(err).message}`,
        hint: '`guard daemon start` (guard exec also starts it on demand unless GUARD_NO_AUTOSTART=1)',
      },
      status: undefined,
    };
  }
}

export async function policyChecks(io: Io, status: DaemonStatus | undefined): Promise<Check[]> {
  const checks: Check[] = [];
  try {
    const { loadPolicy } = await import('../../policy/index.js');
    const loaded = await loadPolicy({ env: io.env, cwd: io.cwd });
    const warn = loaded.warnings.length > 0 ? `; ${loaded.warnings.length} warning(s): ${loaded.warnings[0]!}` : '';
    checks.push({
      name: 'policy',
      status: loaded.warnings.length > 0 ? 'warn' : 'ok',
      detail: `loads: ${loaded.files.length} file(s), digest ${loaded.digest.slice(0, 16)}${warn}`,
      hint: 'guard policy lint',
    });
    if (loaded.loosenings.length > 0)
      checks.push({
        name: 'policy',
        status: 'fail',
        detail: `${loaded.loosenings.length} loosening(s) in policy files no approver signed were IGNORED (someone, perhaps an agent, wrote them): ${loaded.loosenings.join(' | ')}`,
        hint: 'remove the file, or have an approver review and sign it: guard policy sign FILE --as NAME',
      });
    if (status !== undefined && status.policy.digest !== loaded.digest && status.policy.lastError === undefined) {
      checks.push({
        name: 'policy',
        status: 'warn',
        detail: `the daemon runs policy ${status.policy.digest.slice(0, 16)}, not the one on disk (a project .guard/ layer here, or a reload pending)`,
        hint: 'guard daemon status',
      });
    }
  } catch (err) {
    const e = errorText(err);
    checks.push({
      name: 'policy',
      status: 'fail',
      detail: `does not load: ${e.message}`,
      hint: e.hint ?? 'fix the file named above; `guard policy lint` lists every problem',
    });
  }
  if (status?.policy.lastError !== undefined) {
    checks.push({
      name: 'policy',
      status: 'fail',
      detail: `the daemon could not reload the policy and keeps the last good one: ${status.policy.lastError}`,
      hint: 'fix the file, then check with `guard policy lint`',
    });
  }
  return checks;
}

export async function ledgerChecks(io: Io): Promise<Check[]> {
  const paths = guardPaths(io.env);
  if (!existsSync(paths.ledgerDb))
    return [
      {
        name: 'ledger',
        status: 'warn',
        detail: `no ledger yet at ${paths.ledgerDb}`,
        hint: 'guard init (starts the daemon, which creates it)',
      },
    ];
  const pub = pubkeyFile(io.env);
  const checks: Check[] = [];
  if (!existsSync(pub)) {
    checks.push({
      name: 'ledger',
      status: 'warn',
      detail: `no pinned genesis key at ${pub}, so the ledger was not verified`,
      hint: 'guard init (or `guard ledger pubkey --out FILE`) and keep a copy where the agent cannot write',
    });
  } else {
    // the first line `guard ledger verify --db LEDGER --pubkey PINNED` would print
    const failure = await (async () => verifyLedgerDb(paths.ledgerDb, loadPinnedKey(pub), []))().then(
      () => undefined,
      (err: unknown) => errorLines(err).split('\n')[0] ?? '',
    );
    if (failure === undefined)
      checks.push({ name: 'ledger', status: 'ok', detail: `verifies against the pinned key in ${pub}` });
    else
      checks.push({
        name: 'ledger',
        status: 'fail',
        detail: `does not verify: ${failure}`,
        hint: 'guard ledger verify --db … --pubkey … names the first bad record; treat it as tampering until explained',
      });
  }
  const kind = keyStoreKind(paths.ledgerDb);
  if (kind === 'keychain')
    checks.push({ name: 'keystore', status: 'ok', detail: 'the ledger signing key is in the OS keychain' });
  else if (kind === 'file')
    checks.push({
      name: 'keystore',
      status: 'warn',
      detail: `no OS keychain: the signing key is a 0600 file in ${paths.keysDir}`,
      hint: 'acceptable for single-user mode; for the hardened mode run the daemon as its own user (docs)',
    });
  else
    checks.push({
      name: 'keystore',
      status: 'warn',
      detail: 'unknown (no ledger_open record readable)',
      hint: 'guard ledger show --type ledger_open',
    });
  return checks;
}

/** The key store named by the last `ledger_open` record, or undefined when none can be read. */
function keyStoreKind(ledgerDb: string): unknown {
  let db;
  try {
    db = openForReading(ledgerDb);
  } catch {
    return undefined;
  }
  try {
    const opened = readRecords(db, { type: 'ledger_open' }).pop();
    return (opened?.payload as { key_store?: unknown } | undefined)?.key_store;
  } catch {
    return undefined;
  } finally {
    db.close();
  }
}

export function channelChecks(status: DaemonStatus | undefined): Check[] {
  if (status === undefined)
    return [
      { name: 'channels', status: 'warn', detail: 'unknown (the daemon is not reachable)', hint: 'guard daemon start' },
    ];
  if (status.channels.length === 0)
    return [
      {
        name: 'channels',
        status: 'warn',
        detail: 'none configured: approvals only with `guard approve` on this host',
        hint: `configure Slack, Teams or a webhook in ${status.home}/config.yaml`,
      },
    ];
  return status.channels.map((c) => ({
    name: `channel ${c.name}`,
    status: c.ok ? 'ok' : 'fail',
    detail: c.detail,
    hint: c.ok ? undefined : 'check its credentials and network in config.yaml; the daemon log has the details',
  }));
}
