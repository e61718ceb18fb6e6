import { defineCommand, type Declaration, type OptionsOf } from '../command.js';

const execOptions = (cmd: Declaration) =>
  cmd
    .usage('[options] -- <command> [args...]')
    .argument('<command...>', 'the program and its arguments (put them after --)')
    .option('--reason <text>', 'why the command is needed (shown to approvers, recorded)')
    .option('--ticket <id>', 'change or incident ticket the command belongs to (shown to approvers, recorded)')
    .option('--timeout <duration>', 'wait at most this long for an approval (e.g. 90s, 15m); never runs after it')
    .option('--no-wait', 'do not wait for an approval: print the request id and exit 75; `guard wait ID` waits')
    .option('--json-errors', 'when guard itself refuses or fails, print the reason as one JSON line on stderr')
    .passThroughOptions()
    .addHelpText(
      'after',
      `
The command runs with guard's stdin, stdout and stderr; its exit status is passed through.
Exit codes made by guard itself are listed in \`guard help exit-codes\`.

Commands that need approval wait: guard prints (stderr) the request id, what is awaited, where
and the time left; the command runs once approved and never after a denial, expiry or revocation.
With --no-wait the request id is printed on stdout (exit 75); after \`guard wait ID\` succeeds,
re-running exactly the same command uses the approval.

Examples:
  guard exec -- terraform plan
  guard exec --reason 'rotate leaked key' --ticket SEC-42 -- aws iam delete-access-key --access-key-id AKIA...
  guard exec --no-wait -- terraform destroy   # prints rq-..., exit 75
  guard exec -- bash -c 'kubectl get pods && kubectl delete pod web-1'`,
    );
export type ExecOptions = OptionsOf<typeof execOptions>;

export const execSpec = defineCommand({
  name: 'exec',
  summary: 'run a command through guard: allowed at once, refused, or held for approval',
  define: execOptions,
  async run(io, args, opts) {
    const { execCommand } = await import('../commands/exec.js');
    return execCommand(io, args[0], opts);
  },
});
