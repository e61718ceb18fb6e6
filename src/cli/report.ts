import { describeError, errorLines } from '../errors.js';
import type { Io } from './io.js';

/** Print an error the way every guard command does: `guard: …` lines, or one JSON object. */
export function report(io: Io, err: unknown, json: boolean): void {
  const d = describeError(err);
  if (json) {
    io.stderr.write(
      `${JSON.stringify({ guard: d.kind, exit_code: d.exitCode, message: d.message, hint: d.hint, ...d.details })}\n`,
    );
    return;
  }
  io.stderr.write(`${errorLines(err)}\n`);
  if (d.kind === 'internal' && err instanceof Error && io.env['GUARD_DEBUG'] === '1') io.stderr.write(`${err.stack}\n`);
}
