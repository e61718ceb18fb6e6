/** Run guard in-process (runGuard) with captured output and an isolated GUARD_HOME. */
import { PassThrough } from 'node:stream';
import type { Io } from '../../src/cli/io.js';
import { runGuard } from '../../src/cli/run.js';

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function guardInProcess(
  argv: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; stdin?: string } = {},
): Promise<InProcessResult> {
  return inProcess((io) => runGuard(argv, io), opts);
}

/** Run `run` with captured output (an entry other than runGuard: a fast path of src/main.ts). */
export async function inProcess(
  run: (io: Io) => Promise<number>,
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; stdin?: string } = {},
): Promise<InProcessResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  stdin.end(opts.stdin ?? '');
  const code = await run({
    stdout,
    stderr,
    stdin,
    env: opts.env ?? { ...process.env },
    cwd: opts.cwd ?? process.cwd(),
    rawArgv: undefined,
  });
  return { code, stdout: out, stderr: err };
}
