/**
 * Run another guard command in-process (the real command, through runGuard) and capture its
 * output, so init and doctor reuse `ledger pubkey`, `ledger verify` and friends instead of
 * re-implementing them.
 */
import { PassThrough } from 'node:stream';
import type { Io } from '../../cli/io.js';

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/** A stream that keeps what is written to it. */
function sink(): { stream: PassThrough; text(): string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (d: Buffer) => chunks.push(d));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export async function runCaptured(io: Io, argv: string[]): Promise<Captured> {
  const { runGuard } = await import('../../cli/run.js');
  const out = sink();
  const err = sink();
  const stdin = new PassThrough();
  stdin.end();
  const code = await runGuard(argv, { ...io, stdout: out.stream, stderr: err.stream, stdin, rawArgv: undefined });
  return { code, stdout: out.text(), stderr: err.text() };
}
