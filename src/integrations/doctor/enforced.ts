/**
 * `guard doctor` in enforced mode (docs/decisions/1022-doctor-enforced.md), run as the calling
 * user — the agent: it must not be able to read any credential file, the ledger signing key, the
 * ledger, or the runner user's files, and no credential's variable may be set in its environment
 * (the credentialed programs must not be usable without guard).
 */
import { closeSync, constants, openSync, readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { DaemonStatus } from '../../daemon/messages.js';
import type { Check } from '../setup/check.js';

/** Files examined per tree: enough for a daemon home, bounded for a large runner home. */
const MAX_FILES = 5000;

/** Every path under root that this process can open for reading (files) or list (directories). */
export function readableUnder(root: string): string[] {
  const found: string[] = [];
  let seen = 0;
  const visit = (p: string): void => {
    if (seen++ > MAX_FILES) return;
    let st;
    try {
      st = statSync(p);
    } catch {
      return; // absent, or a directory above it cannot be entered: not readable
    }
    if (st.isDirectory()) {
      let names: string[];
      try {
        names = readdirSync(p);
      } catch {
        return;
      }
      if (p !== root || names.length > 0) found.push(`${p}/ (listable)`);
      for (const n of names) visit(join(p, n));
      return;
    }
    if (!st.isFile()) return;
    try {
      closeSync(openSync(p, constants.O_RDONLY | constants.O_NONBLOCK));
      found.push(p);
    } catch {
      // not readable: as it should be
    }
  };
  visit(root);
  return found;
}

function homeOf(user: string): string | undefined {
  const r = spawnSync('getent', ['passwd', user], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const home = r.stdout.trim().split(':')[5];
  return home === undefined || home === '' || home === '/' ? undefined : home;
}

export function enforcedChecks(env: NodeJS.ProcessEnv, status: DaemonStatus | undefined): Check[] {
  const e = status?.enforced;
  if (e === undefined) return [];
  const checks: Check[] = [];
  const runnerHome = homeOf(e.runner);
  const trees = [...e.private, ...(runnerHome === undefined ? [] : [runnerHome])];
  const readable = trees.flatMap(readableUnder);
  checks.push(
    readable.length === 0
      ? {
          name: 'enforced files',
          status: 'ok',
          detail: `this user (uid ${process.getuid?.() ?? '?'}) can read none of the credential store, ledger key, ledger or the runner ${e.runner}'s home`,
        }
      : {
          name: 'enforced files',
          status: 'fail',
          detail: `this user can read what only the daemon may: ${readable.slice(0, 10).join(', ')}${readable.length > 10 ? ` and ${readable.length - 10} more` : ''}`,
          hint: 'make them owned by the daemon user and mode 0600 (directories 0700); rotate any credential that was readable',
        },
  );
  if (runnerHome === undefined)
    checks.push({
      name: 'enforced runner',
      status: 'warn',
      detail: `the runner user ${e.runner} has no home directory to check (or does not exist)`,
      hint: 'create it with `useradd -m -U`',
    });
  if (e.error !== undefined)
    checks.push({
      name: 'enforced credentials',
      status: 'fail',
      detail: `the daemon could not read its credential index: ${e.error}`,
      hint: 'guard credential list (as the daemon user or root)',
    });
  const leaked = e.credentials.filter((c) => c.kind !== 'file' && env[c.target] !== undefined && env[c.target] !== '');
  checks.push(
    leaked.length === 0
      ? {
          name: 'enforced credentials',
          status: 'ok',
          detail: `${e.credentials.length} credential(s); none of their variables is set in this environment`,
        }
      : {
          name: 'enforced credentials',
          status: 'fail',
          detail: `set in this environment, so usable without guard: ${leaked.map((c) => `${c.target} (credential ${c.name})`).join(', ')}`,
          hint: 'remove the variable from the agent’s environment (shell profile, service unit, .env) and rotate the credential',
        },
  );
  return checks;
}
