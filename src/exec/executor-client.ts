/**
 * `guard exec` for a command the daemon's executor runs (enforced mode, src/daemon/executor.ts):
 * the client sends the allow-listed environment values, streams its stdin and the signals it
 * receives to the daemon, writes the command's stdout and stderr byte for byte, and exits with
 * the command's status (128+N for a signal), exactly as a command it ran itself. Stdio travels as
 * data frames; stdin within the daemon's credit window, output no faster than this client's own
 * stdout and stderr take it (docs/decisions/1023-executor-stdio-frames-and-windows.md).
 *
 * No pseudo-terminal: an interactive stdin (a TTY) is refused before anything runs
 * (docs/decisions/1021-executor-no-tty.md).
 */
import { NotApprovedError, FailClosedError } from '../errors.js';
import type { DaemonConnectionError } from '../daemon/client.js';
import { DaemonProtocolError, type DaemonClient } from '../daemon/client.js';
import { executorEventOf, execRunResultOf } from '../daemon/exec-replies.js';
import { DATA_CHUNK, STDIN_WINDOW, type DataFrame } from '../daemon/framing.js';
import type { DaemonMessage, ExecutorRun } from '../daemon/messages.js';
import type { RunResult } from './run.js';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

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
    // stdin: at most STDIN_WINDOW bytes the command has not taken yet; the rest waits here, with
    // stdin paused, until the daemon gives credit back
    let runId = 0;
    let outstanding = 0;
    let eof = false;
    const queue: Buffer[] = [];
    const flush = (): void => {
      while (queue.length > 0 && outstanding < STDIN_WINDOW && !client.closed) {
        const b = queue.shift()!;
        outstanding += b.length;
        client.sendData(runId, 0, b);
      }
      if (queue.length > 0) io.stdin.pause();
      else if (eof) {
        eof = false;
        if (!client.closed) client.post({ type: 'exec_input', execId, eof: true });
      } else io.stdin.resume();
    };
    const onData = (chunk: Buffer | string): void => {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      for (let i = 0; i < b.length; i += DATA_CHUNK) queue.push(b.subarray(i, i + DATA_CHUNK));
      flush();
    };
    const onEnd = (): void => {
      eof = true;
      flush();
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
    // output: while stdout or stderr is full, stop reading the socket (the daemon then stops
    // reading the command's pipes)
    const full = new Set<NodeJS.WritableStream>();
    const onOutput = (f: DataFrame): void => {
      const out = f.kind === 1 ? io.stdout : f.kind === 2 ? io.stderr : undefined;
      if (out === undefined) return;
      pendingWrites++;
      const room = out.write(f.data, () => {
        pendingWrites--;
        maybeDone();
      });
      if (room || full.has(out)) return;
      full.add(out);
      client.pause();
      out.once('drain', () => {
        full.delete(out);
        if (full.size === 0) client.resume();
      });
    };
    runId = client.send({ type: 'exec_run', execId, env }, (m: DaemonMessage) => {
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
      if (e.event === 'credit') {
        outstanding -= e.bytes;
        flush();
      }
    });
    client.onData(runId, onOutput);
  });
}
