import { UsageError } from '../../errors.js';
import { runCommand } from '../../exec/run.js';
import type { Io } from '../io.js';

export async function execCommand(io: Io, command: string[], _opts: Record<string, unknown>): Promise<number> {
  const [file, ...args] = command;
  if (file === undefined || file === '')
    throw new UsageError('no command given', { hint: 'usage: guard exec -- <command> [args...]' });
  const raw =
    io.rawArgv !== undefined && io.rawArgv.length >= command.length ? io.rawArgv.slice(-command.length) : undefined;
  const result = await runCommand({ file, args, raw, cwd: io.cwd, env: io.env });
  return result.exitCode;
}
