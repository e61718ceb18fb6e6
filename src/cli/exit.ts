/**
 * How guard's own commands end: a broken pipe on guard's output ends the process as a write to a
 * closed pipe ends any command, and the exit waits until everything written has left the streams.
 * Shared by the bundle's entry (src/main.ts) and the daemon's own bundle (src/daemon-entry.ts).
 */
import { ExitCode } from '../errors.js';

/** Exit 141 (128 + SIGPIPE) quietly when the reader of guard's own output went away. */
export function exitOnClosedPipe(): void {
  for (const s of [process.stdout, process.stderr]) s.on('error', closedPipe);
}

/** Exits 141 (128 + SIGPIPE) when the reader closed; any other stream error is thrown as before. */
function closedPipe(err: NodeJS.ErrnoException): void {
  if (err.code === 'EPIPE') process.exit(ExitCode.CLOSED_PIPE);
  throw err;
}

/**
 * Exit with `code` once stdout and stderr have handed their queued writes to the kernel: a slow
 * reader (`guard ledger show --json | slow-consumer`) must get every byte.
 */
export async function finish(code: number): Promise<never> {
  process.exitCode = code;
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  process.exit(code);
}

/** Resolves once everything written so far has left the stream (or the reader went away). */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.writableLength === 0 || stream.destroyed) {
      resolve();
      return;
    }
    // EPIPE (the reader closed early): nothing more can be delivered, so stop waiting
    stream.once('error', () => resolve());
    stream.write('', () => resolve());
  });
}
