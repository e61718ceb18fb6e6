/**
 * The only module that spawns the commands guard wraps. argv arrays only: no command string is
 * ever built by interpolation, and no shell is interposed — except to deliver argument bytes that
 * are not valid UTF-8, which Node cannot pass to exec itself (see bashBytesScript).
 *
 * This hot path uses node:child_process directly rather than execa: loading execa costs more
 * than a quarter of Node's own start-up on every agent command (docs/decisions/0001-exec-spawn.md).
 */
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { CommandNotFoundError, ExitCode, FailClosedError, NotExecutableError } from '../errors.js';
import { isLossy } from './rawargv.js';

export interface RunSpec {
  file: string;
  args: string[];
  /** Exact bytes of [file, ...args] when some of them are not valid UTF-8. */
  raw?: Buffer[] | undefined;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /**
   * The program opened and hashed for an approval (src/exec/held.ts): run from its descriptor
   * (a script from its path, checked by the caller) instead of looking `file` up again. `file`
   * stays argv[0].
   */
  program?: { fd: number; path: string; script: boolean } | undefined;
  /** Called once the child is running (pid known). */
  onSpawn?: (pid: number) => void;
}

export interface RunResult {
  exitCode: number;
  signal: NodeJS.Signals | undefined;
  durationMs: number;
  pid: number | undefined;
}

/** Signals guard forwards to the child instead of dying of them. */
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'];
const TERMINATING = new Set<NodeJS.Signals>(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']);

const ansiC = (b: Buffer): string => `$'${[...b].map((byte) => `\\x${byte.toString(16).padStart(2, '0')}`).join('')}'`;

/**
 * A bash script that execs argv with exact bytes, written in pure ASCII. With `target`, bash
 * execs that file instead of looking up raw[0], and raw[0] stays argv[0].
 */
export function bashBytesScript(raw: Buffer[], target?: string): string {
  if (target === undefined) return `exec -- ${raw.map(ansiC).join(' ')}`;
  const [argv0 = Buffer.alloc(0), ...rest] = raw;
  return `exec -a ${ansiC(argv0)} -- ${[Buffer.from(target), ...rest].map(ansiC).join(' ')}`;
}

/** What to spawn: the program's descriptor or path when held, else `file` looked up on PATH. */
function plan(spec: RunSpec): { file: string; args: string[]; argv0?: string; fd?: number } {
  const p = spec.program;
  const lossy = spec.raw !== undefined && spec.raw.some((b, i) => isLossy(b, [spec.file, ...spec.args][i] ?? ''));
  if (lossy && spec.raw !== undefined) {
    // bash must keep the descriptor across its own exec: hand it over as fd 3 (not close-on-exec)
    if (p === undefined) return { file: '/bin/bash', args: ['-c', bashBytesScript(spec.raw), 'guard-exec'] };
    const target = p.script ? p.path : '/proc/self/fd/3';
    return { file: '/bin/bash', args: ['-c', bashBytesScript(spec.raw, target), 'guard-exec'], fd: p.fd };
  }
  if (p === undefined) return { file: spec.file, args: spec.args };
  // the descriptor is close-on-exec: the kernel resolves /proc/self/fd/N before closing it
  return { file: p.script ? p.path : `/proc/self/fd/${p.fd}`, args: spec.args, argv0: spec.file };
}

function hasTty(): boolean {
  return Boolean(process.stdin.isTTY || process.stdout.isTTY || process.stderr.isTTY);
}

/**
 * Run a program with inherited stdio and pass its status through.
 *
 * Process groups: with a terminal, the child stays in guard's process group so that job control
 * and /dev/tty work exactly as without guard (the terminal delivers Ctrl-C to both). Without a
 * terminal (agents, CI), the child gets its own process group so that a forwarded signal reaches
 * the whole tree, and the tree is killed once the child has gone after a terminating signal.
 */
export async function runCommand(spec: RunSpec): Promise<RunResult> {
  const { file, args, argv0, fd } = plan(spec);
  const ownGroup = !hasTty();
  const started = performance.now();
  // The handlers go in before the child exists: a signal arriving while spawn() is still returning
  // (the child can already be running its first lines on a loaded machine) would otherwise take
  // guard's default action, killing guard and leaving the child running unsupervised. A signal
  // that arrives before the child's pid is known is held and forwarded as soon as it is.
  let terminated = false;
  const spawned = { pid: undefined as number | undefined };
  const early: NodeJS.Signals[] = [];
  const forward = (sig: NodeJS.Signals): void => {
    if (TERMINATING.has(sig)) terminated = true;
    const pid = spawned.pid;
    if (pid === undefined) {
      early.push(sig);
      return;
    }
    try {
      if (ownGroup) process.kill(-pid, sig);
      else process.kill(pid, sig);
    } catch {
      // the child is already gone
    }
  };
  const handlers = FORWARDED.map((sig) => {
    const h = (): void => forward(sig);
    process.on(sig, h);
    return [sig, h] as const;
  });
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(file, args, {
      stdio: fd === undefined ? 'inherit' : ['inherit', 'inherit', 'inherit', fd],
      cwd: spec.cwd,
      env: spec.env,
      detached: ownGroup,
      ...(argv0 === undefined ? {} : { argv0 }),
    });
  } catch (err) {
    for (const [sig, h] of handlers) process.off(sig, h);
    throw err;
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: NodeJS.ErrnoException }>(
    (resolve) => {
      child.once('error', (error: NodeJS.ErrnoException) => resolve({ code: null, signal: null, error }));
      child.once('exit', (code, signal) => resolve({ code, signal }));
    },
  );
  // If guard itself goes away (uncaught error, exit), do not leave the child running unsupervised.
  const onExit = (): void => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        if (ownGroup) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.once('exit', onExit);

  spawned.pid = child.pid;
  if (child.pid !== undefined) for (const sig of early.splice(0)) forward(sig);
  if (child.pid !== undefined) spec.onSpawn?.(child.pid);
  try {
    const result = await exited;
    const durationMs = performance.now() - started;
    if (ownGroup && terminated && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // group already empty
      }
    }
    if (result.signal !== null) {
      const num = osConstants.signals[result.signal] ?? 0;
      return { exitCode: ExitCode.SIGNAL_BASE + num, signal: result.signal, durationMs, pid: child.pid };
    }
    if (result.code !== null) {
      return { exitCode: result.code, signal: undefined, durationMs, pid: child.pid };
    }
    const code = result.error?.code;
    if (code === 'ENOENT') {
      throw new CommandNotFoundError(`command not found: ${spec.file}`, {
        hint: 'check the program name and PATH',
        details: { program: spec.file },
      });
    }
    if (code === 'EACCES' || code === 'ENOEXEC' || code === 'EISDIR' || code === 'EPERM') {
      throw new NotExecutableError(`cannot execute ${spec.file}: ${code}`, { details: { program: spec.file, code } });
    }
    throw new FailClosedError(`could not run ${spec.file}: ${result.error?.message ?? 'unknown error'}`);
  } finally {
    process.off('exit', onExit);
    for (const [sig, h] of handlers) process.off(sig, h);
  }
}
