/**
 * Start a daemon process in the background: `node <bin> daemon start --foreground`, detached,
 * output appended to GUARD_HOME/daemon.log. The child reports each start-up step and then readiness
 * on a pipe (fd 3), so the parent waits for events, not in a polling loop; the pipe closing
 * without "ready" means failure.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { guardPaths } from '../config/paths.js';
import { FailClosedError } from '../errors.js';
import { DaemonClient } from './client.js';
import { pidAlive, watchProgress } from './progress.js';

export const READY_FD_ENV = 'GUARD_DAEMON_READY_FD';

/** The CLI entry to re-run for the daemon (bin/guard.js when guard runs as a CLI). */
export function guardBin(): string {
  const bin = process.argv[1];
  if (bin === undefined) throw new FailClosedError('cannot tell where the guard CLI lives to start the daemon');
  return bin;
}

export function lastLogLines(path: string, n = 5): string {
  try {
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    return lines.slice(-n).join('\n');
  } catch {
    return '';
  }
}

/** Why a start did not produce a daemon this client can use. */
export class DaemonStartError extends FailClosedError {
  constructor(
    message: string,
    readonly why: 'exited' | 'stuck' | 'spawn',
    opts: { hint?: string; details?: Record<string, unknown> } = {},
  ) {
    super(message, opts);
  }
}

/** The pid in the daemon lock file, if any. */
export function lockHolder(env: NodeJS.ProcessEnv): number | undefined {
  try {
    const pid = Number(readFileSync(join(guardPaths(env).runDir, 'daemon.pid'), 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Spawn a background daemon and wait until it listens. There is no fixed time limit: the daemon
 * reports each start-up step on the pipe, and it is given up on only when it exits (the pipe
 * closes) or stops making progress (see progress.ts). Returns its pid.
 */
export function spawnDaemon(env: NodeJS.ProcessEnv, extraArgs: string[]): Promise<number> {
  const paths = guardPaths(env);
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  const logFd = openSync(paths.logFile, 'a', 0o600);
  const child = (() => {
    try {
      return spawn(process.execPath, [guardBin(), 'daemon', 'start', '--foreground', ...extraArgs], {
        detached: true,
        stdio: ['ignore', logFd, logFd, 'pipe'],
        env: { ...env, [READY_FD_ENV]: '3' },
        cwd: paths.home,
      });
    } finally {
      closeSync(logFd);
    }
  })();
  const pipe = child.stdio[3] as NodeJS.ReadableStream & { destroy(): void };
  const progress = child.pid === undefined ? undefined : watchProgress(child.pid);
  return new Promise<number>((resolve, reject) => {
    let text = '';
    const finish = (err: Error | undefined): void => {
      clearInterval(watchdog);
      pipe.removeAllListeners();
      pipe.destroy();
      child.unref();
      if (err === undefined) resolve(child.pid ?? 0);
      else reject(err);
    };
    const watchdog = setInterval(() => {
      const why = progress?.stuck();
      if (why !== undefined && child.pid !== undefined) finish(stuckError(child.pid, why, paths.logFile));
    }, 1000);
    pipe.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const lines = text.split('\n');
      text = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'ready') return finish(undefined);
        if (line.startsWith('step ')) progress?.step(line.slice(5));
      }
    });
    pipe.on('error', () => undefined);
    pipe.on('end', () => {
      const tail = lastLogLines(paths.logFile, 3);
      finish(
        new DaemonStartError(
          `the daemon exited during start-up${progress ? ` (last step: ${progress.lastStep})` : ''}${tail ? `:\n${tail}` : ''}`,
          'exited',
          { hint: `the log says why: ${paths.logFile}` },
        ),
      );
    });
    child.on('error', (err) => finish(new DaemonStartError(`cannot start the daemon: ${err.message}`, 'spawn')));
  });
}

function stuckError(pid: number, why: string, logFile: string): DaemonStartError {
  return new DaemonStartError(`the daemon (pid ${pid}) is not ready: ${why}`, 'stuck', {
    hint: `it is still running; its log is ${logFile} (\`guard daemon stop\` stops it once it is up, or kill ${pid})`,
    details: { pid },
  });
}

/**
 * Wait for a daemon another client is starting (it holds the lock) to answer on its socket, for
 * as long as it makes progress. Resolves with a connected client.
 */
export async function joinStartingDaemon(env: NodeJS.ProcessEnv, pid: number): Promise<DaemonClient> {
  const paths = guardPaths(env);
  let holder = pid;
  let progress = watchProgress(holder);
  for (;;) {
    try {
      return await DaemonClient.connect(paths.socket, 1000);
    } catch {
      // not listening yet
    }
    if (!pidAlive(holder)) {
      const next = lockHolder(env);
      // it may have finished and handed over to a newer daemon; a gone holder with no successor failed
      if (next === undefined || next === holder || !pidAlive(next)) {
        try {
          return await DaemonClient.connect(paths.socket, 1000);
        } catch {
          const tail = lastLogLines(paths.logFile, 3);
          throw new DaemonStartError(
            `the daemon another client was starting (pid ${holder}) exited before it was ready${tail ? `:\n${tail}` : ''}`,
            'exited',
            { hint: `the log says why: ${paths.logFile}` },
          );
        }
      }
      holder = next;
      progress = watchProgress(holder);
    }
    const why = progress.stuck();
    if (why !== undefined) throw stuckError(holder, why, paths.logFile);
    await new Promise((r) => setTimeout(r, 100));
  }
}
