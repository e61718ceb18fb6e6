/**
 * `guard exec` without commander: the exec path runs before every command an agent runs, and
 * loading the full CLI (commander and every command's declaration) costs more than the rest of
 * guard's work. This parser accepts exactly the well-formed forms of `guard exec`'s options;
 * anything else (help, an unknown or malformed flag, a missing command) returns undefined and the
 * full CLI handles it, with its own messages and exit codes. test/cli/fast-exec.test.ts checks
 * that both parsers agree.
 */
import { describeError } from '../errors.js';
import { execCommand } from './commands/exec.js';
import type { Io } from './io.js';
import { report } from './report.js';
import { takeValued } from './fast-options.js';
import type { ExecOptions } from './specs/exec.js';

/** Options taking a value, by long name → the key commander stores it under. */
const VALUED: Record<string, 'reason' | 'ticket' | 'timeout'> = {
  '--reason': 'reason',
  '--ticket': 'ticket',
  '--timeout': 'timeout',
};

export interface ParsedExec {
  command: string[];
  opts: ExecOptions;
}

/** Parse the arguments after `exec`; undefined when the full CLI must decide. */
export function parseExecArgs(args: readonly string[]): ParsedExec | undefined {
  const opts: ExecOptions = { wait: true };
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break; // first word of the command (commander: passThroughOptions)
    if (a === '--no-wait') opts.wait = false;
    else if (a === '--json-errors') opts.jsonErrors = true;
    else {
      const next = takeValued(args, i, VALUED, opts);
      if (next === undefined) return undefined;
      i = next;
    }
  }
  const command = args.slice(i);
  if (command.length === 0) return undefined;
  return { command, opts };
}

/** Run `guard exec` if the arguments are the plain, well-formed kind; undefined otherwise. */
export async function fastExec(args: readonly string[], io: Io): Promise<number | undefined> {
  const parsed = parseExecArgs(args);
  if (parsed === undefined) return undefined;
  try {
    return await execCommand(io, parsed.command, parsed.opts);
  } catch (err) {
    report(io, err, parsed.opts.jsonErrors === true);
    return describeError(err).exitCode;
  }
}
