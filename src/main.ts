/**
 * The bundle's entry and the only place that exits the process.
 *
 * `guard exec` takes a fast path that does not load commander (src/cli/fast-exec.ts); every other
 * command, and any exec invocation the fast path does not accept, goes through the full CLI.
 */
import { processIo } from './cli/io.js';
import { readRawArgv } from './exec/rawargv.js';

export async function main(argv: string[]): Promise<never> {
  const io = { ...processIo(), rawArgv: readRawArgv(argv) };
  let code: number | undefined;
  if (argv[0] === 'exec') {
    const { fastExec } = await import('./cli/fast-exec.js');
    code = await fastExec(argv.slice(1), io);
  }
  if (code === undefined) {
    const { runGuard } = await import('./cli/run.js');
    code = await runGuard(argv, io);
  }
  process.exit(code);
}
