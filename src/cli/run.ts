import { CommanderError } from 'commander';
import { describeError, ExitCode, UsageError } from '../errors.js';
import { buildProgram, commanderExit } from './program.js';
import { processIo, type Io } from './io.js';

/**
 * Run guard in-process: parse argv, run the command, map every error to an exit code.
 * Never exits the process (src/main.ts does), so tests can call it directly.
 */
export async function runGuard(argv: string[], ioOverrides: Partial<Io> = {}): Promise<number> {
  const io: Io = { ...processIo(), ...ioOverrides };
  const result = { code: ExitCode.OK as number };
  const program = buildProgram(io, result);
  const jsonErrors = wantsJsonErrors(argv);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return result.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      const mapped = commanderExit(err);
      if (typeof mapped === 'number') return mapped;
      // commander already printed its message
      if (jsonErrors) reportJson(io, mapped);
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

function reportJson(io: Io, err: unknown): void {
  const d = describeError(err);
  io.stderr.write(
    `${JSON.stringify({ guard: d.kind, exit_code: d.exitCode, message: d.message, hint: d.hint, ...d.details })}\n`,
  );
}

export function report(io: Io, err: unknown, json: boolean): void {
  if (json) {
    reportJson(io, err);
    return;
  }
  const d = describeError(err);
  io.stderr.write(`guard: ${d.message}\n`);
  if (d.hint !== undefined) io.stderr.write(`guard: ${d.hint}\n`);
  if (d.kind === 'internal' && err instanceof Error && io.env['GUARD_DEBUG'] === '1') io.stderr.write(`${err.stack}\n`);
}

export { UsageError };
