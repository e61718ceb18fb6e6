/**
 * The daemon's files: the run directory (0700, ours), the socket (path length checked), the
 * pid lock that keeps a second daemon off the same home, and stale-socket clean-up.
 */
import {
  chmodSync,
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { connect } from 'node:net';
import { FailClosedError } from '../errors.js';
import { pidAlive } from './progress.js';

export { checkSocketPath, SOCKET_PATH_MAX } from './connect.js';

/** Create the run directory 0700, or check an existing one: ours, and writable by nobody else. */
export function ensureRunDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new FailClosedError(`${dir} is not a directory`);
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
    throw new FailClosedError(
      `${dir} belongs to uid ${st.uid}, not to this user; refusing to put the daemon socket there`,
    );
  }
  if ((st.mode & 0o022) !== 0) {
    // group/other write would let someone else replace the socket
    chmodSync(dir, st.mode & ~0o022 & 0o7777);
  }
}

/** Does something answer on this socket path? */
export function socketAnswers(path: string, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ path });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Is this process a guard daemon (its command line says `daemon start`)? Undefined without /proc. */
function runsDaemon(pid: number): boolean | undefined {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const i = argv.indexOf('daemon');
    return i >= 0 && argv[i + 1] === 'start';
  } catch {
    return undefined;
  }
}

export interface DaemonLock {
  release(): void;
}

/**
 * Take the pid lock (O_EXCL create). An existing lock is honoured while its daemon answers on the
 * socket, or while its process lives and either the lock is younger than `startingGraceMs` or the
 * process is a guard daemon (still starting, however long that takes on a busy machine).
 * Otherwise it is stale (e.g. its pid now belongs to another program) and replaced.
 */
export async function acquireLock(lockPath: string, socketPath: string, startingGraceMs = 15_000): Promise<DaemonLock> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return {
        release: () => {
          try {
            if (readFileSync(lockPath, 'utf8').trim() === String(process.pid)) rmSync(lockPath, { force: true });
          } catch {
            // already gone
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new FailClosedError(`cannot create the daemon lock ${lockPath}: ${(err as Error).message}`);
      }
    }
    const holder = readHolder(lockPath);
    if (await socketAnswers(socketPath)) throw alreadyRunning(holder);
    if (
      holder !== undefined &&
      holder.pid !== process.pid &&
      pidAlive(holder.pid) &&
      (Date.now() - holder.mtimeMs < startingGraceMs || runsDaemon(holder.pid) === true)
    ) {
      throw alreadyRunning(holder);
    }
    rmSync(lockPath, { force: true });
  }
  throw new FailClosedError(`could not take the daemon lock ${lockPath}`);
}

function readHolder(lockPath: string): { pid: number; mtimeMs: number } | undefined {
  try {
    const pid = Number(readFileSync(lockPath, 'utf8').trim());
    const mtimeMs = statSync(lockPath).mtimeMs;
    return Number.isSafeInteger(pid) && pid > 0 ? { pid, mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}

export class AlreadyRunningError extends FailClosedError {}

function alreadyRunning(holder: { pid: number } | undefined): AlreadyRunningError {
  return new AlreadyRunningError(
    `a guard daemon is already running for this GUARD_HOME${holder ? ` (pid ${holder.pid})` : ''}`,
    {
      hint: 'use it, or stop it first with `guard daemon stop`',
      details: { pid: holder?.pid ?? null },
    },
  );
}

/** Remove a socket file nobody answers on (left by a daemon that crashed). */
export async function clearStaleSocket(path: string): Promise<void> {
  let exists = true;
  try {
    lstatSync(path);
  } catch {
    exists = false;
  }
  if (!exists) return;
  if (await socketAnswers(path)) throw alreadyRunning(undefined);
  rmSync(path, { force: true });
}
