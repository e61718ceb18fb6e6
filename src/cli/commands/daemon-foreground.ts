/**
 * `guard daemon start --foreground`: the daemon process itself. Kept apart from the other daemon
 * commands (daemon.ts) so that the commander-free start (src/cli/fast-daemon.ts) loads nothing but
 * what a daemon needs (decision 0041).
 */
import { closeSync, writeSync } from 'node:fs';
import { FailClosedError, UsageError } from '../../errors.js';
import { READY_FD_ENV } from '../../daemon/launch.js';
import type { Io } from '../io.js';
import type { DaemonStartOptions } from '../specs/daemon.js';

function socketMode(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^[0-7]{3}$/.test(v))
    throw new UsageError(`--socket-mode: ${JSON.stringify(v)} is not an octal mode like 600 or 660`);
  const mode = parseInt(v, 8);
  if ((mode & 0o007) !== 0) throw new UsageError('--socket-mode: other users must not get access to the socket');
  return mode;
}

/** The policy files (absolute) and socket mode `guard daemon start` was given. */
export function startArgs(
  io: Io,
  opts: DaemonStartOptions,
): { policyFiles: string[] | undefined; mode: number | undefined } {
  return {
    policyFiles: opts.policy?.map((f) => (f.startsWith('/') ? f : `${io.cwd}/${f}`)),
    mode: socketMode(opts.socketMode),
  };
}

export async function runForeground(
  io: Io,
  policyFiles: string[] | undefined,
  socketModeValue: number | undefined,
  loaded?: string,
): Promise<number> {
  // everything the daemon creates (ledger, state db, keys, log) is for its own user only;
  // the socket gets --socket-mode explicitly
  process.umask(0o077);
  const { startDaemon } = await import('../../daemon/daemon.js');
  const readyFd = io.env[READY_FD_ENV] === undefined ? undefined : Number(io.env[READY_FD_ENV]);
  const report = (line: string): void => {
    if (readyFd === undefined || !Number.isSafeInteger(readyFd)) return;
    try {
      writeSync(readyFd, `${line}\n`);
    } catch {
      // the launcher went away; keep starting
    }
  };
  const handle = await startDaemon({
    env: io.env,
    policyFiles,
    socketMode: socketModeValue,
    echo: readyFd === undefined ? io.stderr : undefined,
    progress: (step) => report(`step ${step}`),
    loaded,
  });
  if (readyFd !== undefined && Number.isSafeInteger(readyFd)) {
    try {
      writeSync(readyFd, 'ready\n');
      closeSync(readyFd);
    } catch {
      // the launcher went away; keep serving
    }
  }
  let failure: unknown;
  const onSignal = (sig: NodeJS.Signals): void => void handle.stop(`received ${sig}`);
  const onCrash = (err: unknown): void => {
    failure = err;
    void handle.stop(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', onSignal);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  try {
    await handle.closed;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('SIGHUP', onSignal);
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
  }
  if (failure !== undefined)
    throw new FailClosedError(`the daemon stopped after an internal error: ${(failure as Error).message}`);
  return 0;
}
