/**
 * `guard exec` for a command the daemon's executor runs (enforced mode, src/daemon/executor.ts):
 * the client sends the allow-listed environment values, streams its stdin and the signals it
 * receives to the daemon, writes the command's stdout and stderr byte for byte, and exits with
 * the command's status (128+N for a signal), exactly as a command it ran itself.
 *
 * No pseudo-terminal: an interactive stdin (a TTY) is refused before anything runs
 * (docs/decisions/1021-executor-no-tty.md).
 */
import { NotApprovedError, FailClosedError } from '../errors.js';
import type { DaemonConnectionError } from '../daemon/client.js';
import { DaemonProtocolError, type DaemonClient } from '../daemon/client.js';
import { executorEventOf, execRunResultOf } from '../daemon/exec-replies.js';
import type { DaemonMessage, ExecutorRun } from '../daemon/messages.js';
import type { RunResult } from './run.js';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
/** Largest stdin chunk per message (base64 stays well under the frame limit). */
const CHUNK = 256 * 1024;

export interface ExecutorIo {
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export function refuseTty(io: ExecutorIo): void {
  if (io.stdin.isTTY === true)
    throw new NotApprovedError(
      'this command runs in guard’s executor (enforced mode), which gives it no terminal; nothing was run',
      {
        hint: 'run it without an interactive stdin: give its input from a file or pipe, or `</dev/null`',
      },
    );
}

export function runInExecutor(
  client: DaemonClient,
  execId: string,
  run: ExecutorRun,
  io: ExecutorIo,
): Promise<RunResult> {
  const env: Record<string, string> = {};
  for (const name of run.env) {
    const v = io.env[name];
    if (v !== undefined) env[name] = v;
  }
  const started = performance.now();
  return new Promise<RunResult>((resolve, reject) => {
    let settled = false;
    const handlers = FORWARDED.map((sig) => {
      const h = (): void => {
        if (!client.closed) client.post({ type: 'exec_signal', execId, signal: sig });
      };
      process.on(sig, h);
      return [sig, h] as const;
    });
    const onData = (chunk: Buffer | string): void => {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      for (let i = 0; i < b.length; i += CHUNK)
        if (!client.closed)
          client.post({ type: 'exec_input', execId, dataB64: b.subarray(i, i + CHUNK).toString('base64') });
    };
    const onEnd = (): void => {
      if (!client.closed) client.post({ type: 'exec_input', execId, eof: true });
    };
    const finish = (f: () => void): void => {
      if (settled) return;
      settled = true;
      for (const [sig, h] of handlers) process.off(sig, h);
      io.stdin.off('data', onData);
      io.stdin.off('end', onEnd);
      (io.stdin as NodeJS.ReadStream).destroy?.();
      f();
    };
    let pendingWrites = 0;
    let result: { exitCode: number; signal: string | null } | undefined;
    const maybeDone = (): void => {
      if (result === undefined || pendingWrites > 0) return;
      const r = result;
      finish(() =>
        resolve({
          exitCode: r.exitCode,
          signal: (r.signal ?? undefined) as NodeJS.Signals | undefined,
          durationMs: performance.now() - started,
          pid: undefined,
        }),
      );
    };
    client.onClose((err: DaemonConnectionError) =>
      finish(() =>
        reject(
          new FailClosedError(`lost the guard daemon while the executor ran the command: ${err.message}`, {
            hint: 'the command was stopped; see the ledger for how far it got',
          }),
        ),
      ),
    );
    client.send({ type: 'exec_run', execId, env }, (m: DaemonMessage) => {
      if (m.type === 'error')
        return finish(() =>
          reject(
            m.code === 'refused' || m.code === 'not_found'
              ? new NotApprovedError(m.message, { hint: m.hint })
              : new FailClosedError(m.message, { hint: m.hint }),
          ),
        );
      const e = m.type === 'result' ? execRunResultOf(m.data) : executorEventOf(m.data);
      if (e instanceof DaemonProtocolError)
        return finish(() =>
          reject(new FailClosedError(`${e.message}; the command was stopped`, { hint: 'restart the daemon' })),
        );
      if (!('event' in e)) {
        result = e;
        return maybeDone();
      }
      if (e.event === 'started') {
        io.stdin.on('data', onData);
        io.stdin.on('end', onEnd);
        io.stdin.on('error', onEnd);
        return;
      }
      const out = e.fd === 1 ? io.stdout : io.stderr;
      pendingWrites++;
      out.write(Buffer.from(e.dataB64, 'base64'), () => {
        pendingWrites--;
        maybeDone();
      });
    });
  });
}
