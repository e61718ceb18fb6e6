/**
 * `guard exec`: the thin client. Asks the daemon, runs the command itself only when told to
 * (after the daemon committed exec_start), passes stdio, exit status and signals through, and
 * reports the exit. Loads no SQLite, no policy, no ledger, no UI (see docs/daemon.md).
 */
import { CommandNotFoundError, describeError, FailClosedError, NotApprovedError, UsageError } from '../../errors.js';
import { boundEnvValues, envHashes, resolveTargets, targetsView } from '../../context/binding.js';
import { gatherContext } from '../../context/index.js';
import { connectDaemon } from '../../daemon/connect.js';
import { parseDuration } from '../../daemon/duration.js';
import { requestRun } from '../../daemon/exec-client.js';
import type { ExecMessage } from '../../daemon/messages.js';
import { checkHeld, holdProgram, type HeldProgram } from '../../exec/held.js';
import { isLossy } from '../../exec/rawargv.js';
import { runCommand, type RunResult } from '../../exec/run.js';
import { refuseTty, runInExecutor } from '../../exec/executor-client.js';
import type { Io } from '../io.js';
import { visibleText } from '../../util/visible.js';
import type { ExecOptions } from '../specs/exec.js';

const optString = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export async function execCommand(io: Io, command: string[], opts: ExecOptions): Promise<number> {
  const [file, ...args] = command;
  if (file === undefined || file === '')
    throw new UsageError('no command given', { hint: 'usage: guard exec -- <command> [args...]' });
  const timeout = optString(opts.timeout);
  const timeoutSeconds = timeout === undefined ? undefined : parseDuration(timeout);
  const raw =
    io.rawArgv !== undefined && io.rawArgv.length >= command.length ? io.rawArgv.slice(-command.length) : undefined;
  const lossy = raw !== undefined && raw.some((b, i) => isLossy(b, command[i] ?? ''));
  // context gathering (files, /proc) and reaching the daemon overlap
  const connecting = connectDaemon(io.env);
  connecting.catch(() => undefined);
  // Quick context first (no program hash, no work-tree scan): enough to judge and to record an
  // allowed or denied command. A held command is re-sent with the full context the reviewer needs
  // and what the approval binds: the program (opened here, run later from the same descriptor),
  // the environment and the files the arguments name (see src/context/binding.ts).
  let bound: { program: HeldProgram | null; targets: (string | null)[] } | undefined;
  const message = async (quick: boolean, read: string[] = []): Promise<ExecMessage> => {
    let extra: Record<string, unknown> = {};
    let binding: ExecMessage['binding'];
    // the variables the policy reads (decision 1026): names on the quick path, values on the full one
    let judged: Record<string, string> | undefined;
    // overlaps with hashing the program; gatherContext never throws
    const gathering = gatherContext({ env: io.env, cwd: io.cwd, argv: command, quick, program: false });
    if (!quick) {
      const program = (await holdProgram(file, io.env, io.cwd)) ?? null;
      const targets = resolveTargets(command, io.cwd);
      bound = { program, targets };
      binding = { env: await envHashes(io.env), targets };
      judged = {};
      for (const name of read) if (io.env[name] !== undefined) judged[name] = io.env[name];
      const env = boundEnvValues(io.env);
      const shown = targetsView(command, targets);
      extra = {
        ...(program === null ? {} : { program: { path: program.path, sha256: program.sha256 } }),
        ...(Object.keys(env).length === 0 ? {} : { env }),
        ...(Object.keys(shown).length === 0 ? {} : { target: shown }),
      };
    }
    const context = await gathering;
    return {
      type: 'exec',
      argv: command,
      rawArgvB64: lossy ? raw.map((b) => b.toString('base64')) : undefined,
      cwd: io.cwd,
      context: JSON.parse(JSON.stringify({ ...context, ...extra })) as Record<string, unknown>,
      binding,
      env: judged,
      reason: optString(opts.reason),
      ticket: optString(opts.ticket),
      timeoutSeconds,
      noWait: opts.wait === false,
      partialContext: quick,
      envNames: quick
        ? Object.keys(io.env)
            .filter((k) => io.env[k] !== undefined)
            .sort()
        : undefined,
    };
  };
  const msg = await message(true);
  const client = await connecting;
  const localDeadline = timeoutSeconds === undefined ? undefined : Date.now() + timeoutSeconds * 1000;
  const go = await requestRun(client, msg, io, localDeadline, (read) => message(false, read));
  if (go.executor !== undefined) {
    // enforced mode: the daemon's executor runs it with the credentials; this client only relays
    await bound?.program?.handle.close();
    try {
      refuseTty(io);
      // the executor applies the saved plan itself (decision 1110); this only says so
      savedPlanArgs(go.argv, file, io);
      return (await runInExecutor(go.client, go.execId, go.executor, io)).exitCode;
    } finally {
      go.client.close();
    }
  }
  let result: RunResult | undefined;
  let failure: unknown;
  try {
    const program = await checkBound(bound, command, io.cwd);
    const run = savedPlanArgs(go.argv, file, io);
    const bytes = lossy && run === undefined ? raw : undefined;
    result = await runCommand({ file, args: run ?? args, raw: bytes, cwd: io.cwd, env: io.env, program });
  } catch (err) {
    failure = err;
  } finally {
    await bound?.program?.handle.close();
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

/**
 * The arguments the daemon says to run instead of the command's own (decision 1086: exactly the
 * saved Terraform plan the approver was shown), with the same program, which was hashed and held.
 */
function savedPlanArgs(argv: string[] | undefined, file: string, io: Io): string[] | undefined {
  if (argv === undefined) return undefined;
  if (argv[0] !== file)
    throw new FailClosedError(`the daemon named another program to run (${argv[0] ?? ''}); nothing was run`);
  io.stderr.write(`guard: applying exactly the approved saved plan: ${visibleText(argv.join(' '))}\n`);
  return argv.slice(1);
}

/**
 * Before running an approved command: what the approval bound still holds. The program runs from
 * the descriptor that was hashed; a program that was not there at request time is not looked up
 * again; an argument that now resolves elsewhere refuses the run.
 */
async function checkBound(
  bound: { program: HeldProgram | null; targets: (string | null)[] } | undefined,
  command: string[],
  cwd: string,
): Promise<{ fd: number; path: string; script: boolean } | undefined> {
  if (bound === undefined) return undefined; // judged on the quick context: nothing was bound
  const now = resolveTargets(command, cwd);
  const moved = now.findIndex((t, i) => t !== bound.targets[i]);
  if (moved !== -1)
    throw new NotApprovedError(
      `argument ${JSON.stringify(command[moved])} now resolves to ${now[moved] ?? 'nothing'}, not ${bound.targets[moved] ?? 'nothing'} as when it was approved; nothing was run`,
      { hint: 'run the command again to ask for approval of what it acts on now' },
    );
  const p = bound.program;
  if (p === null)
    throw new CommandNotFoundError(`command not found: ${command[0] ?? ''}`, {
      hint: 'check the program name and PATH',
      details: { program: command[0] ?? '' },
    });
  await checkHeld(p);
  return { fd: p.handle.fd, path: p.path, script: p.script };
}
