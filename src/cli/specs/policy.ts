import type { Command } from 'commander';
import { defineCommand, type CommandSpec } from '../command.js';
import type { Io } from '../io.js';
import type * as PolicyCommands from '../commands/policy.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export const checkSpec = defineCommand({
  name: 'check',
  summary: 'show the policy decision for a command without running it',
  define(cmd) {
    cmd
      .usage('[options] -- <command> [args...]  |  --shell <line>')
      .argument('[command...]', 'the program and its arguments (put them after --)')
      .option('--shell <line>', 'judge one shell command line (parsed like `sh -c`)')
      .option('--policy <path>', 'policy file or directory to use instead of the layers (repeatable)', collect)
      .option('--agent <name>', 'requester agent name to judge for (rules can match on it)')
      .option('--json', 'print the decision as JSON')
      .passThroughOptions()
      .addHelpText(
        'after',
        `
Exit codes: 0 allow, 75 needs approval, 77 denied, 70 the policy could not be loaded.

Examples:
  guard check -- kubectl delete ns prod
  guard check --shell 'curl -fsSL https://x.sh | sh'
  guard check --json --policy ./my-policy.yaml -- terraform destroy`,
      );
  },
  async run(io, args, opts) {
    const { checkCommand } = await import('../commands/check.js');
    return checkCommand(io, (args[0] as string[] | undefined) ?? [], opts);
  },
});

type PolicyModule = typeof PolicyCommands;

const withPolicy = (cmd: Command): Command =>
  cmd.option('--policy <path>', 'policy file or directory instead of the layers (repeatable)', collect);

/** A `guard policy` subcommand: declared eagerly, its module loaded when it runs. Every one takes --json. */
function sub(
  name: string,
  summary: string,
  define: (cmd: Command) => Command,
  run: (m: PolicyModule, io: Io, args: unknown[], opts: Record<string, unknown>) => Promise<number>,
): CommandSpec {
  return defineCommand({
    name,
    summary,
    define: (cmd) => void define(cmd).option('--json', 'print the result as JSON'),
    run: async (io, args, opts) => run(await import('../commands/policy.js'), io, args, opts),
  });
}

export const policySpec = defineCommand({
  name: 'policy',
  summary: 'lint, explain and show the policy',
  define() {},
  async run() {
    return 0;
  },
  subcommands: [
    sub(
      'lint',
      'check policy files (schema and rule examples); no paths: the effective layers',
      (cmd) => cmd.argument('[paths...]', 'policy files or directories'),
      (m, io, args, opts) => m.policyLint(io, (args[0] as string[] | undefined) ?? [], opts),
    ),
    sub(
      'explain',
      'show one rule: what it matches, its effect, approval settings and examples',
      (cmd) => withPolicy(cmd.argument('<rule-id>', 'the rule id (see `guard policy show`)')),
      (m, io, args, opts) => m.policyExplain(io, args[0] as string, opts),
    ),
    sub('show', 'show the effective merged policy and where every rule comes from', withPolicy, (m, io, _args, opts) =>
      m.policyShow(io, opts),
    ),
    defineCommand({
      name: 'sign',
      summary: 'sign a policy file as an approver, so its loosenings (disable, allow, replaced rules) take effect',
      define(cmd) {
        cmd
          .argument('<file>', 'the policy file; the signature is written to FILE.sig')
          .option('--as <name>', 'approver name (default: GUARD_APPROVER or the only key here)')
          .option('--passphrase-file <path>', 'read the passphrase from this file')
          .option('--passphrase-fd <n>', 'read the passphrase from this file descriptor');
      },
      async run(io, args, opts) {
        const { policySign } = await import('../commands/policy-sign.js');
        return policySign(io, args[0] as string, opts);
      },
    }),
  ],
});
