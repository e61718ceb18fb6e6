import { homedir } from 'node:os';
import { isAbsolute, join, normalize } from 'node:path';
import { UsageError } from '../errors.js';

/**
 * Every file guard reads or writes lives under one root. GUARD_HOME isolates a whole
 * installation (tests, hardened mode); otherwise the XDG state directory is used.
 * This module is the only place that reads HOME / XDG variables. GUARD_SOCKET (an absolute path)
 * names the daemon socket on its own, for clients that cannot read the daemon's GUARD_HOME.
 */
export interface GuardPaths {
  home: string;
  /** Directory holding the daemon socket; created 0700. */
  runDir: string;
  /** The daemon socket: GUARD_SOCKET when set (hardened mode), else `runDir/guard.sock`. */
  socket: string;
  /**
   * True when GUARD_SOCKET named the socket: it belongs to a daemon run by someone else (hardened
   * mode), so a client must never start a daemon of its own for it.
   */
  socketFromEnv: boolean;
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
  const socketEnv = env['GUARD_SOCKET'];
  const socketFromEnv = socketEnv !== undefined && socketEnv !== '';
  // a relative path would name a different socket in every directory the agent works in
  if (socketFromEnv && !isAbsolute(socketEnv))
    throw new UsageError(`GUARD_SOCKET must be an absolute path, not ${JSON.stringify(socketEnv)}`, {
      hint: "e.g. GUARD_SOCKET=/run/guard/guard.sock (the hardened daemon's socket)",
    });
  return {
    home,
    runDir,
    socket: socketFromEnv ? normalize(socketEnv) : join(runDir, 'guard.sock'),
    socketFromEnv,
    ledgerDb: join(home, 'ledger.db'),
    keysDir: join(home, 'keys'),
    policyDir: join(home, 'policies'),
    configFile: join(home, 'config.yaml'),
    logFile: join(home, 'daemon.log'),
    stateDb: join(home, 'state.db'),
    approversDir: join(home, 'approvers'),
  };
}
