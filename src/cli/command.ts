import type { Command } from 'commander';
import type { Command as TypedCommand, OptionValues } from '@commander-js/extra-typings';
import type { Io } from './io.js';

/**
 * A command declared as data: its name, help and options are declared eagerly (cheap), its
 * implementation is loaded only when it runs, so `guard exec` never pays for the TUI or SQLite.
 *
 * This is the registry's view, with the option types erased; `defineCommand` is where each
 * command's own types live.
 */
export interface CommandSpec {
  name: string;
  summary: string;
  /** Declare arguments and options on the commander command. */
  define(cmd: Command): void;
  /** Load and run. Receives commander's positional arguments and options; returns an exit code. */
  run(io: Io, args: unknown[], opts: OptionValues): Promise<number>;
  /** Sub-commands (e.g. `guard ledger show`). When present, `run` is not used. */
  subcommands?: CommandSpec[];
}

/**
 * A command as written: `define` returns the commander chain it builds, and the types of the
 * positional arguments and options `run` receives are inferred from that chain
 * (@commander-js/extra-typings). Renaming or removing a flag in `define` is a compile error
 * wherever the old option is read.
 */
export interface TypedCommandSpec<Args extends unknown[], Opts extends OptionValues> {
  name: string;
  summary: string;
  define(cmd: TypedCommand): TypedCommand<Args, Opts>;
  run(io: Io, args: Args, opts: Opts): Promise<number>;
}

/** What a command's `define` starts from. */
export type Declaration = TypedCommand;

/**
 * The options a declaration function declares. A command whose implementation module takes its
 * options as a parameter declares them in a named function and exports this type of it (the
 * spec object itself cannot name it: its `run` calls that implementation).
 */
export type OptionsOf<F> = F extends (cmd: Declaration) => TypedCommand<infer _A, infer O, infer _G> ? O : never;

export function defineCommand<Args extends unknown[], Opts extends OptionValues>(
  spec: TypedCommandSpec<Args, Opts>,
): CommandSpec {
  return {
    name: spec.name,
    summary: spec.summary,
    // @commander-js/extra-typings only adds types to commander's own classes: the command
    // program.ts creates is the one the typed declaration describes, and what commander parses
    // from that declaration is what the inferred types say.
    define: (cmd) => void spec.define(cmd as unknown as TypedCommand),
    run: (io, args, opts) => spec.run(io, args as Args, opts as Opts),
  };
}

/** A command that only groups sub-commands (`guard ledger`): it declares nothing and never runs. */
export function defineGroup(group: {
  name: string;
  summary: string;
  define?: (cmd: Command) => void;
  subcommands: CommandSpec[];
}): CommandSpec {
  return {
    name: group.name,
    summary: group.summary,
    define: group.define ?? (() => {}),
    run: () => Promise.resolve(0),
    subcommands: group.subcommands,
  };
}
