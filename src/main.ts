/**
 * The bundle's entry and the only place that exits the process.
 */
import { runGuard } from './cli/run.js';
import { processIo } from './cli/io.js';
import { readRawArgv } from './exec/rawargv.js';

export async function main(argv: string[]): Promise<never> {
  const io = { ...processIo(), rawArgv: readRawArgv(argv) };
  const code = await runGuard(argv, io);
  process.exit(code);
}
