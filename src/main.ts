/**
 * The bundle's entry; it ends the process through src/cli/exit.ts.
 *
 * `guard exec`, `guard hook`, `guard requests` and `guard daemon start --foreground` take fast paths
 * that do not load commander (src/cli/fast-exec.ts, src/cli/fast-hook.ts, src/cli/fast-requests.ts,
 * src/cli/fast-daemon.ts); every other command, and any invocation a fast path does not accept, goes
 * through the full CLI.
 */
import { exitOnClosedPipe, finish } from './cli/exit.js';
import { processIo } from './cli/io.js';
import { readRawArgv } from './exec/rawargv.js';

export async function main(argv: string[]): Promise<never> {
  const io = { ...processIo(), rawArgv: readRawArgv(argv) };
  // The reader of guard's own output went away (`guard requests | head -1`): stop as a write to a
  // closed pipe stops any command (128 + SIGPIPE), not with a stack trace. Not for `exec`, whose
  // clients pass the broken pipe on to the command itself (decision 1028).
  if (argv[0] !== 'exec') exitOnClosedPipe();
  let code: number | undefined;
  if (argv[0] === 'exec') {
    const { fastExec } = await import('./cli/fast-exec.js');
    code = await fastExec(argv.slice(1), io);
  }
  if (argv[0] === 'hook') {
    const { fastHook } = await import('./cli/fast-hook.js');
    code = await fastHook(argv.slice(1), io);
  }
  if (argv[0] === 'daemon') {
    const { fastDaemon } = await import('./cli/fast-daemon.js');
    code = await fastDaemon(argv.slice(1), io);
  }
  if (argv[0] === 'requests') {
    const { fastRequests } = await import('./cli/fast-requests.js');
    code = await fastRequests(argv.slice(1), io);
  }
  if (code === undefined) {
    const { runGuard } = await import('./cli/run.js');
    code = await runGuard(argv, io);
  }
  return finish(code);
}
