/**
 * `guard exec` for a command the daemon's executor runs (enforced mode, src/daemon/executor.ts):
 * the client sends the allow-listed environment values, opens three more connections to the daemon
 * (`exec_stream`, with the offer's token) that the command receives as its stdin, stdout and stderr,
 * copies its own stdin into the first and the other two into its stdout and stderr byte for byte,
 * forwards the signals it receives, and exits with the command's status (128+N for a signal),
 * exactly as a command it ran itself. The daemon relays no stdio byte; the kernel's socket buffers
 * are all that is held between the command and this client
 * (docs/decisions/1027-executor-stdio-on-stream-connections.md).
 *
 * No pseudo-terminal: an interactive stdin (a TTY) is refused before anything runs
 * (docs/decisions/1021-executor-no-tty.md).
 */
import { connect, type Socket } from 'node:net';
import { guardPaths } from '../config/paths.js';
import { NotApprovedError, FailClosedError } from '../errors.js';
import type { DaemonConnectionError } from '../daemon/client.js';
import { DaemonProtocolError, type DaemonClient } from '../daemon/client.js';
import { executorEventOf, execRunResultOf } from '../daemon/exec-replies.js';
import { encodeFrame, FrameReader } from '../daemon/framing.js';
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

type StreamName = 'stdin' | 'stdout' | 'stderr';

/** One stream connection: `exec_stream` answered with null, then the socket carries raw bytes only. */
function openStream(path: string, execId: string, token: string, stream: StreamName): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ path });
    const reader = new FrameReader();
    const fail = (why: string): void => {
      sock.destroy();
      reject(new FailClosedError(`the executor's ${stream} connection failed: ${why}; nothing was run`));
    };
    const onData = (chunk: Buffer): void => {
      let msgs: unknown[];
      try {
        msgs = reader.push(chunk);
      } catch (err) {
        return fail((err as Error).message);
      }
      const m = msgs[0] as DaemonMessage | undefined;
      if (m === undefined) return;
      sock.off('data', onData);
      sock.off('error', onError);
      sock.pause();
      if (msgs.length > 1 || reader.pending > 0) return fail('unexpected bytes after the answer');
      if (m.type === 'error') {
        sock.destroy();
        return reject(new NotApprovedError(m.message, { hint: m.hint }));
      }
      if (m.type !== 'result' || m.re !== 1) return fail('an unexpected answer');
      resolve(sock);
    };
    const onError = (err: Error): void => fail(err.message);
    sock.on('data', onData);
    sock.on('error', onError);
    sock.write(encodeFrame({ type: 'exec_stream', id: 1, execId, token, stream }));
  });
}

export async function runInExecutor(
  client: DaemonClient,
  execId: string,
  run: ExecutorRun,
  io: ExecutorIo,
): Promise<RunResult> {
  const path = guardPaths(io.env).socket;
  const names: StreamName[] = ['stdin', 'stdout', 'stderr'];
  const opened = await Promise.allSettled(names.map((n) => openStream(path, execId, run.token, n)));
  const failed = opened.find((o) => o.status === 'rejected');
  const sockets = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  if (failed !== undefined) {
    for (const sock of sockets) sock.destroy();
    throw failed.reason;
  }
  const [input, output, errors] = sockets as [Socket, Socket, Socket];
  return relay(client, execId, run, io, input, output, errors);
}

function relay(
  client: DaemonClient,
  execId: string,
  run: ExecutorRun,
  io: ExecutorIo,
  input: Socket,
  output: Socket,
  errors: Socket,
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
    const sockets = [input, output, errors];
    for (const sock of sockets) sock.on('error', () => undefined);
    const finish = (f: () => void): void => {
      if (settled) return;
      settled = true;
      for (const [sig, h] of handlers) process.off(sig, h);
      io.stdin.unpipe(input);
      (io.stdin as NodeJS.ReadStream).destroy?.();
      for (const sock of sockets) sock.destroy();
      f();
    };
    // output: everything the command wrote, written here, before the exit status is passed on
    let outputsOpen = 2;
    let result: { exitCode: number; signal: string | null } | undefined;
    const maybeDone = (): void => {
      if (result === undefined || outputsOpen > 0) return;
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
    for (const [sock, out] of [
      [output, io.stdout],
      [errors, io.stderr],
    ] as const) {
      let ended = false;
      const ends = (): void => {
        if (ended) return;
        ended = true;
        // flushed up to here: the write callback runs once what came before it is written
        out.write(Buffer.alloc(0), () => {
          outputsOpen--;
          maybeDone();
        });
      };
      sock.once('end', ends);
      sock.once('close', ends);
      sock.pipe(out, { end: false });
    }
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
      // stdin is read only once the command runs; its end shuts the connection's sending side
      if (e.event === 'started') io.stdin.pipe(input);
    });
  });
}
