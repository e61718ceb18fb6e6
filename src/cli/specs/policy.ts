import type { Command, OptionValues } from '@commander-js/extra-typings';
import { defineCommand, defineGroup, type Declaration, type OptionsOf } from '../command.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

const checkOptions = (cmd: Declaration) =>
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
export type CheckOptions = OptionsOf<typeof checkOptions>;

export const checkSpec = defineCommand({
  name: 'check',
  summary: 'show the policy decision for a command without running it',
  define: checkOptions,
  async run(io, [command], opts) {
    const { checkCommand } = await import('../commands/check.js');
    return checkCommand(io, command, opts);
  },
});

const withPolicy = <A extends unknown[], O extends OptionValues>(cmd: Command<A, O>) =>
  cmd.option('--policy <path>', 'policy file or directory instead of the layers (repeatable)', collect);

// every `guard policy` sub-command but sign takes --json
const lintOptions = (cmd: Declaration) =>
  cmd.argument('[paths...]', 'policy files or directories').option('--json', 'print the result as JSON');
export type PolicyLintOptions = OptionsOf<typeof lintOptions>;

const explainOptions = (cmd: Declaration) =>
  withPolicy(cmd.argument('<rule-id>', 'the rule id (see `guard policy show`)')).option(
    '--json',
    'print the result as JSON',
  );
export type PolicyExplainOptions = OptionsOf<typeof explainOptions>;

const showOptions = (cmd: Declaration) => withPolicy(cmd).option('--json', 'print the result as JSON');
export type PolicyShowOptions = OptionsOf<typeof showOptions>;

const signOptions = (cmd: Declaration) =>
  cmd
    .argument('<file>', 'the policy file; the signature is written to FILE.sig')
    .option('--as <name>', 'approver name (default: GUARD_APPROVER or the only key here)')
    .option('--passphrase-file <path>', 'read the passphrase from this file')
    .option('--passphrase-fd <n>', 'read the passphrase from this file descriptor');
export type PolicySignOptions = OptionsOf<typeof signOptions>;

export const policySpec = defineGroup({
  name: 'policy',
  summary: 'lint, explain and show the policy',
  subcommands: [
    defineCommand({
      name: 'lint',
      summary: 'check policy files (schema and rule examples); no paths: the effective layers',
      define: lintOptions,
      async run(io, [paths], opts) {
        return (await import('../commands/policy.js')).policyLint(io, paths, opts);
      },
    }),
    defineCommand({
      name: 'explain',
      summary: 'show one rule: what it matches, its effect, approval settings and examples',
      define: explainOptions,
      async run(io, [id], opts) {
        return (await import('../commands/policy.js')).policyExplain(io, id, opts);
      },
    }),
    defineCommand({
      name: 'show',
      summary: 'show the effective merged policy and where every rule comes from',
      define: showOptions,
      async run(io, _args, opts) {
        return (await import('../commands/policy.js')).policyShow(io, opts);
      },
    }),
    defineCommand({
      name: 'sign',
      summary: 'sign a policy file as an approver, so its loosenings (disable, allow, replaced rules) take effect',
      define: signOptions,
      async run(io, [file], opts) {
        const { policySign } = await import('../commands/policy-sign.js');
        return policySign(io, file, opts);
      },
    }),
  ],
});
