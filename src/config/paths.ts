import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Every file guard reads or writes lives under one root. GUARD_HOME isolates a whole
 * installation (tests, hardened mode); otherwise the XDG state directory is used.
 * This module is the only place that reads HOME / XDG variables.
 */
export interface GuardPaths {
  home: string;
  /** Directory holding the daemon socket; created 0700. */
  runDir: string;
  socket: string;
  /** The signed ledger database. */
  ledgerDb: string;
  /** Private keys when no OS keychain is available; created 0700. */
  keysDir: string;
  /** User policy layer. */
  policyDir: string;
  /** Daemon configuration (channels). */
  configFile: string;
  /** Daemon log. */
  logFile: string;
  /** Requests database (pending approvals survive restarts). */
  stateDb: string;
  /** Enrolled approvers. */
  approversDir: string;
}

export function guardHome(env: NodeJS.ProcessEnv): string {
  const explicit = env['GUARD_HOME'];
  if (explicit !== undefined && explicit !== '') return explicit;
  const xdgState = env['XDG_STATE_HOME'];
  const base = xdgState !== undefined && xdgState !== '' ? xdgState : join(env['HOME'] ?? homedir(), '.local', 'state');
  return join(base, 'guard');
}

export function guardPaths(env: NodeJS.ProcessEnv): GuardPaths {
  const home = guardHome(env);
  const runDir = join(home, 'run');
  return {
    home,
    runDir,
    socket: join(runDir, 'guard.sock'),
    ledgerDb: join(home, 'ledger.db'),
    keysDir: join(home, 'keys'),
    policyDir: join(home, 'policies'),
    configFile: join(home, 'config.yaml'),
    logFile: join(home, 'daemon.log'),
    stateDb: join(home, 'state.db'),
    approversDir: join(home, 'approvers'),
  };
}
