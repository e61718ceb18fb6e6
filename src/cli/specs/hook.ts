import { Argument, Option } from '@commander-js/extra-typings';
import { defineCommand, type Declaration, type OptionsOf } from '../command.js';
import { completes } from '../complete-values.js';

/** The agents `guard hook` answers for (src/integrations/adapters.ts checks the name itself). */
export const HOOK_AGENTS = ['claude-code', 'gemini', 'codex', 'cursor'] as const;

const hookOptions = (cmd: Declaration) =>
  cmd
    .addArgument(completes(new Argument('<agent>', 'claude-code | gemini | codex | cursor'), HOOK_AGENTS))
    .addOption(
      completes(
        new Option(
          '--allowed <mode>',
          "commands policy allows: pass (default: run unchanged, the agent's own checks decide, the decision is recorded) or record (run through guard exec, exit status on the ledger; Gemini CLI's own policy then sees the rewritten line); Claude Code and Codex always pass",
        ).default('pass'),
        ['pass', 'record'],
      ),
    )
    .option('--deadline-ms <ms>', 'answer within this time or block (the configured agent timeout is 30 s)', '20000')
    .addHelpText(
      'after',
      `
Reads the agent's hook JSON on stdin, asks the guard daemon to judge the command (starting it
unless GUARD_NO_AUTOSTART=1; denials and passed commands are recorded in the ledger) and answers
in the agent's documented format. Commands policy denies are blocked with the reason; commands that need approval are rewritten to run through
\`guard exec\`, which waits for a human; allowed commands are passed and their decision recorded
(or run through guard exec with --allowed record). Any failure of guard itself blocks (exit 2): nothing runs unjudged.
\`guard init --agent <agent>\` writes the hook configuration; see docs/integrations.md.`,
    );
export type HookCommandOptions = OptionsOf<typeof hookOptions>;

export const hookSpec = defineCommand({
  name: 'hook',
  summary: "an agent's pre-tool hook: judge the shell command on stdin (claude-code, gemini, codex, cursor)",
  define: hookOptions,
  async run(io, args, opts) {
    const { hookCommand } = await import('../commands/hook.js');
    return hookCommand(io, args[0], opts);
  },
});
