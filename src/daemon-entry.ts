/**
 * The daemon process's own entry: `guard daemon start --foreground` (what the launcher spawns)
 * loads this one CommonJS file (dist/daemon.cjs) with a V8 code cache made at build time, instead
 * of the CLI's ES modules (src/boot/daemon-bundle.ts, decision 0043). It runs exactly what the
 * CLI's fast path runs (src/cli/fast-daemon.ts) and nothing else.
 */
import { exitOnClosedPipe, finish } from './cli/exit.js';
import { fastDaemon, parseForegroundArgs } from './cli/fast-daemon.js';
import { processIo } from './cli/io.js';
import { ExitCode } from './errors.js';
import { readRawArgv } from './exec/rawargv.js';

/**
 * Run the daemon when `argv` is the well-formed `daemon start --foreground` the fast path accepts
 * (the process then ends here); false for anything else, which the CLI then handles as before.
 * `loaded` says how this code was loaded; the daemon's start-up line reports it.
 */
export async function daemonMain(argv: string[], loaded: string): Promise<boolean> {
  if (argv[0] !== 'daemon' || parseForegroundArgs(argv.slice(1)) === undefined) return false;
  exitOnClosedPipe();
  const io = { ...processIo(), rawArgv: readRawArgv(argv) };
  const code = await fastDaemon(argv.slice(1), io, loaded);
  return finish(code ?? ExitCode.INTERNAL);
}
