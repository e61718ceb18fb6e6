import { Command, CommanderError } from 'commander';
import { exitCodesHelp, UsageError } from '../errors.js';
import type { CommandSpec } from './command.js';
import type { Io } from './io.js';
import { commands } from './registry.js';
import { VERSION } from '../version.js';
import { examplesHelp } from './examples.js';

const EXIT_CODES_HELP = exitCodesHelp();

function attach(parent: Command, spec: CommandSpec, io: Io, result: { code: number }): void {
  const cmd = parent.command(spec.name).description(spec.summary);
  spec.define(cmd);
  if (spec.subcommands !== undefined) {
    for (const sub of spec.subcommands) attach(cmd, sub, io, result);
    return;
  }
  cmd.action(async (...actionArgs: unknown[]) => {
    // commander passes: ...positionals, options, command
    const command = actionArgs[actionArgs.length - 1] as Command;
    const positionals = actionArgs.slice(0, -2);
    result.code = await spec.run(io, positionals, command.opts());
  });
}

/** With `quietErrors`, commander's own error text is not printed (the caller reports it as JSON). */
export function buildProgram(io: Io, result: { code: number }, quietErrors = false): Command {
  const program = new Command('guard');
  program
    .description('Puts a human in front of the dangerous commands AI agents run.')
    .version(VERSION, '-V, --version', 'print the guard version')
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => {
        if (!quietErrors) write(s.startsWith('error:') ? `guard: ${s}` : s);
      },
    })
    .addHelpText('after', `\n${EXIT_CODES_HELP}\n\nRun \`guard help <command>\` for a command's options.`);
  for (const spec of commands) attach(program, spec, io, result);
  program
    .command('exit-codes')
    .description('list the exit codes guard uses')
    .action(() => {
      io.stdout.write(`${EXIT_CODES_HELP}\n`);
    });
  // Every subcommand inherits exitOverride and output configuration.
  for (const cmd of program.commands) applyRecursively(cmd, program);
  return program;
}

function applyRecursively(cmd: Command, root: Command): void {
  cmd.exitOverride().configureOutput(root.configureOutput());
  // commander enforces required options but does not say so in the help
  for (const o of cmd.options) if (o.mandatory && !o.description.endsWith('(required)')) o.description += ' (required)';
  const examples = examplesHelp(commandPath(cmd));
  if (examples !== undefined) cmd.addHelpText('after', examples);
  for (const sub of cmd.commands) applyRecursively(sub, root);
}

/** `ledger verify` for that sub-command: the names from below the root down to `cmd`. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent != null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Commander reports help/version as "errors" with exit code 0; map the rest to UsageError. */
export function commanderExit(err: CommanderError): number | UsageError {
  if (err.exitCode === 0) return 0;
  if (err.code === 'commander.help' || err.code === 'commander.helpDisplayed' || err.code === 'commander.version')
    return 0;
  return new UsageError(err.message.replace(/^error: /, ''), { details: { code: err.code } });
}

export { CommanderError };
