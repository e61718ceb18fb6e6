/**
 * Start a daemon process in the background: `node <bin> daemon start --foreground`, detached,
 * output appended to GUARD_HOME/daemon.log. The child reports readiness on a pipe (fd 3), so the
 * parent waits for an event, not in a polling loop; the pipe closing without "ready" means failure.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { guardPaths } from '../config/paths.js';
import { FailClosedError } from '../errors.js';

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

/** Spawn a background daemon and wait until it listens (or fails, or `timeoutMs` passes). Returns its pid. */
export function spawnDaemon(env: NodeJS.ProcessEnv, extraArgs: string[], timeoutMs: number): Promise<number> {
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
  return new Promise<number>((resolve, reject) => {
    let text = '';
    const finish = (err: Error | undefined): void => {
      clearTimeout(timer);
      pipe.removeAllListeners();
      pipe.destroy();
      child.unref();
      if (err === undefined) resolve(child.pid ?? 0);
      else reject(err);
    };
    const timer = setTimeout(
      () => finish(new FailClosedError(`the daemon did not get ready within ${timeoutMs} ms`)),
      timeoutMs,
    );
    pipe.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes('ready')) finish(undefined);
    });
    pipe.on('error', () => undefined);
    pipe.on('end', () => {
      const tail = lastLogLines(paths.logFile, 3);
      finish(new FailClosedError(`the daemon exited before it was ready${tail ? `:\n${tail}` : ''}`));
    });
    child.on('error', (err) => finish(new FailClosedError(`cannot start the daemon: ${err.message}`)));
  });
}
