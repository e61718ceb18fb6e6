import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { defineCommand } from '../command.js';

// the help is printed by hand: every word after `shell` belongs to sh, so commander's own
// --help handling is off
let helpOf: CommandUnknownOpts | undefined;

export const shellSpec = defineCommand({
  name: 'shell',
  summary: "a drop-in for `sh -c`: run a command string through guard (set it as an agent's or tool's shell)",
  define(cmd) {
    helpOf = cmd;
    return cmd
      .usage("-c 'command' [name [args...]]")
      .argument('[words...]', 'sh options (-c, -lc, -ec, -e -c), the command string, then $0 $1 …')
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .passThroughOptions()
      .addHelpText(
        'after',
        `
Behaves like \`/bin/sh -c\` — stdio, exit status, quoting, $0 and $1 — but the command string is
judged by policy first (every simple command in it), may wait for approval, and lands in the
ledger. Exit 77: refused by policy; 76: not approved; 70: guard could not judge it.
Without -c there is nothing to judge, so guard shell refuses to start an interactive shell.

Examples:
  guard shell -c 'make test && git push'
  SHELL="$GUARD_HOME/bin/guard-shell" some-tool    # the one-file wrapper \`guard init --agent shell\` writes`,
      );
  },
  async run(io, [words]) {
    if (words.length === 1 && (words[0] === '--help' || words[0] === '-h') && helpOf !== undefined) {
      helpOf.outputHelp();
      return 0;
    }
    const { shellCommand } = await import('../commands/shell.js');
    return shellCommand(io, words);
  },
});
