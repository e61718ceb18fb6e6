/**
 * `guard exec`: the thin client. Asks the daemon, runs the command itself only when told to
 * (after the daemon committed exec_start), passes stdio, exit status and signals through, and
 * reports the exit. Loads no SQLite, no policy, no ledger, no UI (see docs/daemon.md).
 */
import { describeError, FailClosedError, UsageError } from '../../errors.js';
import { gatherContext } from '../../context/index.js';
import { connectDaemon } from '../../daemon/connect.js';
import { parseDuration } from '../../daemon/duration.js';
import { requestRun } from '../../daemon/exec-client.js';
import type { ExecMessage } from '../../daemon/messages.js';
import { isLossy } from '../../exec/rawargv.js';
import { runCommand, type RunResult } from '../../exec/run.js';
import type { Io } from '../io.js';

const optString = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export async function execCommand(io: Io, command: string[], opts: Record<string, unknown>): Promise<number> {
  const [file, ...args] = command;
  if (file === undefined || file === '')
    throw new UsageError('no command given', { hint: 'usage: guard exec -- <command> [args...]' });
  const timeout = optString(opts['timeout']);
  const timeoutSeconds = timeout === undefined ? undefined : parseDuration(timeout);
  const raw =
    io.rawArgv !== undefined && io.rawArgv.length >= command.length ? io.rawArgv.slice(-command.length) : undefined;
  const lossy = raw !== undefined && raw.some((b, i) => isLossy(b, command[i] ?? ''));
  // context gathering (files, /proc) and reaching the daemon overlap
  const connecting = connectDaemon(io.env);
  connecting.catch(() => undefined);
  // Quick context first (no program hash, no work-tree scan): enough to judge and to record an
  // allowed or denied command. A held command is re-sent with the full context the reviewer needs.
  const message = async (quick: boolean): Promise<ExecMessage> => {
    const context = await gatherContext({ env: io.env, cwd: io.cwd, argv: command, quick });
    return {
      type: 'exec',
      argv: command,
      rawArgvB64: lossy ? raw.map((b) => b.toString('base64')) : undefined,
      cwd: io.cwd,
      context: JSON.parse(JSON.stringify(context)) as Record<string, unknown>,
      reason: optString(opts['reason']),
      ticket: optString(opts['ticket']),
      timeoutSeconds,
      noWait: opts['wait'] === false,
      partialContext: quick,
    };
  };
  const msg = await message(true);
  const client = await connecting;
  const localDeadline = timeoutSeconds === undefined ? undefined : Date.now() + timeoutSeconds * 1000;
  const go = await requestRun(client, msg, io, localDeadline, () => message(false));
  let result: RunResult | undefined;
  let failure: unknown;
  try {
    result = await runCommand({ file, args, raw: lossy ? raw : undefined, cwd: io.cwd, env: io.env });
  } catch (err) {
    failure = err;
  }
  const exitCode = result?.exitCode ?? describeError(failure).exitCode;
  // Reported without waiting for the commit: the command has run; exec_start is already on record.
  try {
    await go.client.sendAndEnd({
      type: 'exec_end',
      execId: go.execId,
      exitCode,
      signal: result?.signal ?? null,
      durationMs: result?.durationMs ?? 0,
    });
  } catch (err) {
    io.stderr.write(`guard: the command ran, but its exit could not be reported: ${(err as Error).message}\n`);
  }
  if (failure !== undefined)
    throw failure instanceof Error ? failure : new FailClosedError('the command could not be run');
  if (result === undefined) throw new FailClosedError('the command did not report a result');
  return result.exitCode;
}
