import { Argument } from '@commander-js/extra-typings';
import { defineCommand, type Declaration } from '../command.js';
import { writeLine } from '../io.js';

const SHELLS = ['bash', 'zsh', 'fish'] as const;

const completionOptions = (cmd: Declaration) =>
  cmd.addArgument(new Argument('<shell>', 'the shell').choices(SHELLS)).addHelpText(
    'after',
    `
Examples:
  source <(guard completion bash)                                   # this bash session
  guard completion bash > ~/.local/share/bash-completion/completions/guard
  guard completion zsh > "\${fpath[1]}/_guard"                       # then: compinit
  guard completion fish > ~/.config/fish/completions/guard.fish`,
  );

export const completionSpec = defineCommand({
  name: 'completion',
  summary: 'print a shell completion script (bash, zsh or fish), generated from the commands',
  define: completionOptions,
  async run(io, args) {
    const [{ buildProgram }, gen] = await Promise.all([import('../program.js'), import('../generate.js')]);
    const program = buildProgram(io, { code: 0 }, true);
    const shell = args[0];
    const text =
      shell === 'bash'
        ? gen.bashCompletion(program)
        : shell === 'zsh'
          ? gen.zshCompletion(program)
          : gen.fishCompletion(program);
    io.stdout.write(text);
    return 0;
  },
});

const manOptions = (cmd: Declaration) =>
  cmd.addHelpText(
    'after',
    `
Examples:
  guard man | man -l -                                             # read it now
  guard man > ~/.local/share/man/man1/guard.1                      # then: man guard`,
  );

export const manSpec = defineCommand({
  name: 'man',
  summary: 'print the guard(1) man page (roff), generated from the commands',
  define: manOptions,
  async run(io) {
    const [{ buildProgram }, { manPage }, { VERSION }] = await Promise.all([
      import('../program.js'),
      import('../generate.js'),
      import('../../version.js'),
    ]);
    writeLine(io.stdout, manPage(buildProgram(io, { code: 0 }, true), VERSION).trimEnd());
    return 0;
  },
});
