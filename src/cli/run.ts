import { CommanderError } from 'commander';
import { describeError, ExitCode } from '../errors.js';
import { report } from './report.js';
import { buildProgram, commanderExit } from './program.js';
import { processIo, type Io } from './io.js';

/**
 * Run guard in-process: parse argv, run the command, map every error to an exit code.
 * Never exits the process (src/main.ts does), so tests can call it directly.
 */
export async function runGuard(argv: string[], ioOverrides: Partial<Io> = {}): Promise<number> {
  const io: Io = { ...processIo(), ...ioOverrides };
  const result = { code: ExitCode.OK as number };
  const jsonErrors = wantsJsonErrors(argv);
  const program = buildProgram(io, result, jsonErrors);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return result.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      const mapped = commanderExit(err);
      if (typeof mapped === 'number') return mapped;
      // commander already printed its message
      if (jsonErrors) report(io, mapped, true);
      return mapped.exitCode;
    }
    report(io, err, jsonErrors);
    return describeError(err).exitCode;
  }
}

function wantsJsonErrors(argv: string[]): boolean {
  const end = argv.indexOf('--');
  const head = end === -1 ? argv : argv.slice(0, end);
  return head.includes('--json-errors');
}
