/** Run guard in-process (runGuard) with captured output and an isolated GUARD_HOME. */
import { PassThrough } from 'node:stream';
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
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  stdin.end(opts.stdin ?? '');
  const code = await runGuard(argv, {
    stdout,
    stderr,
    stdin,
    env: opts.env ?? { ...process.env },
    cwd: opts.cwd ?? process.cwd(),
    rawArgv: undefined,
  });
  return { code, stdout: out, stderr: err };
}
