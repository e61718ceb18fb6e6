import type { Command } from 'commander';
import type { Io } from './io.js';

/**
 * A command declared as data: its name, help and options are declared eagerly (cheap), its
 * implementation is loaded only when it runs, so `guard exec` never pays for the TUI or SQLite.
 */
export interface CommandSpec {
  name: string;
  summary: string;
  /** Declare arguments and options on the commander command. */
  define(cmd: Command): void;
  /** Load and run. Receives commander's positional arguments and options; returns an exit code. */
  run(io: Io, args: unknown[], opts: Record<string, unknown>): Promise<number>;
  /** Sub-commands (e.g. `guard ledger show`). When present, `run` is not used. */
  subcommands?: CommandSpec[];
}

export function defineCommand(spec: CommandSpec): CommandSpec {
  return spec;
}
