import { Option } from '@commander-js/extra-typings';
import { defineCommand, type Declaration, type OptionsOf } from '../command.js';
import { completes } from '../complete-values.js';

/** The agents `guard init --agent` sets up (src/integrations/setup/agent-step.ts checks the name). */
export const INIT_AGENT_NAMES = ['claude-code', 'gemini', 'codex', 'cursor', 'shell'] as const;

const initOptions = (cmd: Declaration) =>
  cmd
    .addOption(
      completes(
        new Option('--agent <name>', 'write the hook configuration of: claude-code, gemini, codex, cursor, shell'),
        INIT_AGENT_NAMES,
      ),
    )
    .option('--yes', 'change an existing agent settings file without asking (a backup is kept)')
    .option('--print', 'print the agent configuration and the file it belongs in instead of writing it')
    .addHelpText(
      'after',
      `
Steps (each is idempotent; running init again changes nothing that is right already):
  policy     GUARD_HOME/policies/local.yaml, your layer over the shipped rules (never overwritten)
  agent      the agent's hook entry, merged into its settings file (backup kept), or printed
  daemon     started if it is not running
  ledger     the genesis public key, written to GUARD_HOME/ledger.pub for pinning
  self-test  a command the policy denies is run through guard exec: it must exit 77, not run

Examples:
  guard init --agent claude-code
  guard init --agent codex --print`,
    );
export type InitOptions = OptionsOf<typeof initOptions>;

export const initSpec = defineCommand({
  name: 'init',
  summary: 'set guard up: policy layer, agent hook, daemon, pinned ledger key, self-test',
  define: initOptions,
  async run(io, _args, opts) {
    const { initCommand } = await import('../commands/init.js');
    return initCommand(io, opts);
  },
});
