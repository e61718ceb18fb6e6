import { defineCommand } from '../command.js';

export const execSpec = defineCommand({
  name: 'exec',
  summary: 'run a command through guard: allowed at once, refused, or held for approval',
  define(cmd) {
    cmd
      .usage('[options] -- <command> [args...]')
      .argument('<command...>', 'the program and its arguments (put them after --)')
      .option('--json-errors', 'when guard itself refuses or fails, print the reason as one JSON line on stderr')
      .passThroughOptions()
      .addHelpText(
        'after',
        `
The command runs with guard's stdin, stdout and stderr; its exit status is passed through.
Exit codes made by guard itself are listed in \`guard help exit-codes\`.

Examples:
  guard exec -- terraform plan
  guard exec -- bash -c 'kubectl get pods && kubectl delete pod web-1'`,
      );
  },
  async run(io, args, opts) {
    const { execCommand } = await import('../commands/exec.js');
    return execCommand(io, args[0] as string[], opts);
  },
});
