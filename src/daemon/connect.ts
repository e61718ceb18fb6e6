/**
 * Reach the daemon, starting it on demand. When no daemon can be reached in a bounded time the
 * caller gets FailClosedError (exit 70) saying how to start one: nothing runs without a decision.
 */
import { guardPaths } from '../config/paths.js';
import { FailClosedError } from '../errors.js';
import { DaemonClient, DaemonConnectionError } from './client.js';

/** sockaddr_un.sun_path is 108 bytes on Linux, 104 on macOS, including the terminating NUL. */
export const SOCKET_PATH_MAX = process.platform === 'linux' ? 107 : 103;

export function checkSocketPath(path: string): void {
  const len = Buffer.byteLength(path);
  if (len > SOCKET_PATH_MAX) {
    throw new FailClosedError(
      `the daemon socket path is ${len} bytes long; Unix sockets allow at most ${SOCKET_PATH_MAX}: ${path}`,
      {
        hint: 'set GUARD_HOME to a shorter directory (e.g. ~/.guard)',
      },
    );
  }
}

const ABSENT = new Set(['ENOENT', 'ECONNREFUSED']);

export interface ConnectOptions {
  /** Start a daemon when none answers (default true; GUARD_NO_AUTOSTART=1 turns it off). */
  autostart?: boolean;
}

async function unreachable(socket: string, why: string, logFile: string): Promise<FailClosedError> {
  // the launcher (child_process, log reading) is loaded only off the hot path
  const { lastLogLines } = await import('./launch.js');
  const tail = lastLogLines(logFile, 3);
  return new FailClosedError(`the guard daemon is not reachable at ${socket} (${why}); nothing was run`, {
    hint: `start it with \`guard daemon start\` (log: ${logFile})${tail ? `\nlast log lines:\n${tail}` : ''}`,
    details: { socket },
  });
}

function noPermission(socket: string): FailClosedError {
  return new FailClosedError(`this user may not use the guard daemon socket ${socket} (EACCES); nothing was run`, {
    hint:
      "in hardened mode the socket's group (e.g. guard-agents) grants access: ask the administrator to add this user to it " +
      "(then log in again), and name the socket with GUARD_SOCKET instead of pointing GUARD_HOME at the daemon's home",
    details: { socket },
  });
}

function notRunningElsewhere(socket: string): FailClosedError {
  return new FailClosedError(
    `no guard daemon answers at ${socket} (set by GUARD_SOCKET); nothing was run, and no daemon is started for a GUARD_SOCKET`,
    {
      hint: 'the daemon runs as its own user (hardened mode): ask whoever runs it to start it (e.g. `systemctl start guardd`), or check GUARD_SOCKET',
      details: { socket },
    },
  );
}

/** The daemon could not be started (or joined): say what happened, not "start it yourself". */
function notStarted(socket: string, err: unknown): FailClosedError {
  const e = err as Error & { hint?: string; details?: Record<string, unknown> };
  return new FailClosedError(`the guard daemon for ${socket} could not be started; nothing was run: ${e.message}`, {
    ...(e.hint !== undefined ? { hint: e.hint } : {}),
    details: { socket, ...(e.details ?? {}) },
  });
}

export async function connectDaemon(env: NodeJS.ProcessEnv, opts: ConnectOptions = {}): Promise<DaemonClient> {
  const paths = guardPaths(env);
  checkSocketPath(paths.socket);
  try {
    return await DaemonClient.connect(paths.socket);
  } catch (err) {
    const code = (err as DaemonConnectionError).code;
    if (code === 'EACCES') throw noPermission(paths.socket);
    if (!ABSENT.has(code ?? '')) throw await unreachable(paths.socket, (err as Error).message, paths.logFile);
  }
  // GUARD_SOCKET names another user's daemon (hardened mode): starting one of our own would
  // put a daemon this user controls in front of its own commands, so never do it
  if (paths.socketFromEnv) throw notRunningElsewhere(paths.socket);
  const autostart = (opts.autostart ?? true) && env['GUARD_NO_AUTOSTART'] !== '1';
  if (!autostart) throw await unreachable(paths.socket, 'no daemon is running', paths.logFile);
  // the launcher (child_process, progress watch) is loaded only off the hot path
  const launch = await import('./launch.js');
  try {
    await launch.spawnDaemon(env, []);
  } catch (err) {
    // Lost the race to another client's daemon (it holds the lock, ours quit): join that one for
    // as long as it makes progress. Any other failure is final.
    const holder = launch.lockHolder(env);
    if (!(err instanceof launch.DaemonStartError) || err.why !== 'exited' || holder === undefined)
      throw notStarted(paths.socket, err);
    try {
      return await launch.joinStartingDaemon(env, holder);
    } catch (joinErr) {
      throw notStarted(paths.socket, joinErr);
    }
  }
  try {
    return await DaemonClient.connect(paths.socket);
  } catch (err) {
    // it said ready and then went away (stopped at once, crashed)
    throw await unreachable(paths.socket, (err as Error).message, paths.logFile);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The daemon that answers on this user's socket, or undefined when none runs and GUARD_SOCKET is
 * unset (never starts one). A socket named by GUARD_SOCKET that does not answer is an error.
 */
export async function connectIfRunning(env: NodeJS.ProcessEnv): Promise<DaemonClient | undefined> {
  const paths = guardPaths(env);
  checkSocketPath(paths.socket);
  try {
    return await DaemonClient.connect(paths.socket);
  } catch (err) {
    if (ABSENT.has((err as DaemonConnectionError).code ?? '') && !paths.socketFromEnv) return undefined;
  }
  return connectDaemon(env, { autostart: false }); // the same errors as every other command
}

/**
 * Reconnect to a daemon that went away mid-wait: no autostart, a few attempts within `ms`; after
 * that, a daemon that holds the lock (restarting slowly on a busy machine) is joined for as long as
 * it makes progress (decision 0007). A gone daemon with no successor ends the wait.
 */
export async function reconnect(env: NodeJS.ProcessEnv, ms: number): Promise<DaemonClient | undefined> {
  const socket = guardPaths(env).socket;
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      return await DaemonClient.connect(socket, Math.max(100, deadline - Date.now()));
    } catch {
      await sleep(100);
    }
  }
  const launch = await import('./launch.js');
  const holder = launch.lockHolder(env);
  if (holder === undefined) return undefined;
  try {
    return await launch.joinStartingDaemon(env, holder);
  } catch {
    return undefined;
  }
}

export { DaemonClient, DaemonConnectionError };
