/**
 * `guard shell -c 'CMD' [$0 $1 …]`: a drop-in for `sh -c` that sends the command through the
 * `guard exec` path (policy, approval, ledger) as argv ['/bin/sh', <options>, CMD, …]. The exec
 * implementation is called, not copied: stdio, exit status and signals behave exactly as there.
 */
import { parseShellArgs } from '../../integrations/shell-args.js';
import type { Io } from '../io.js';
import { execCommand } from './exec.js';

export const SHELL_PATH = '/bin/sh';

export async function shellCommand(io: Io, words: string[]): Promise<number> {
  const args = parseShellArgs(words);
  const command = [SHELL_PATH, ...args.options, args.script, ...args.operands];
  // exec reads the exact bytes of its command from the tail of rawArgv: give it this argv's
  const tail =
    io.rawArgv !== undefined && io.rawArgv.length >= words.length ? io.rawArgv.slice(-words.length) : undefined;
  const rawArgv = tail === undefined ? undefined : [Buffer.from(SHELL_PATH), ...tail];
  return execCommand({ ...io, rawArgv }, command, { wait: true });
}
