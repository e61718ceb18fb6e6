/**
 * What commander makes of a command line: the oracle the commander-free parsers
 * (src/cli/fast-*.ts) are checked against.
 */
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/program.js';
import { processIo } from '../../src/cli/io.js';

export interface Parsed {
  positionals: unknown[];
  opts: Record<string, unknown>;
}

/** The positionals and options commander hands to the command at `path` for `guard ...path ...args`. */
export async function viaCommander(path: string[], args: string[]): Promise<Parsed | 'error'> {
  const io = { ...processIo(), stdout: devNull(), stderr: devNull() };
  const program = buildProgram(io, { code: 0 });
  let target: Command = program;
  for (const name of path) target = target.commands.find((c) => c.name() === name)!;
  let seen: Parsed | undefined;
  target.action((...actionArgs: unknown[]) => {
    // commander passes: ...positionals, options, command
    const cmd = actionArgs[actionArgs.length - 1] as Command;
    seen = { positionals: actionArgs.slice(0, -2), opts: cmd.opts() };
  });
  try {
    await program.parseAsync([...path, ...args], { from: 'user' });
  } catch {
    return 'error';
  }
  return seen ?? 'error';
}

function devNull(): NodeJS.WritableStream {
  return { write: () => true } as unknown as NodeJS.WritableStream;
}

/** Options without the keys left undefined. */
export const strip = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
