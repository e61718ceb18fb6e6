import { defineCommand } from '../command.js';

export const requestsSpec = defineCommand({
  name: 'requests',
  summary: 'list requests waiting for approval and usable grants (--all: recent history)',
  define(cmd) {
    cmd
      .option('--all', 'include decided, expired and cancelled requests (most recent 500)')
      .option('--json', 'print machine-readable JSON');
  },
  async run(io, _args, opts) {
    const { listRequests } = await import('../commands/requests.js');
    return listRequests(io, opts);
  },
});

export const showSpec = defineCommand({
  name: 'show',
  summary: 'show one request: command, rules, context, votes, state and grant',
  define(cmd) {
    cmd.argument('<id>', 'request id (rq-…)').option('--json', 'print machine-readable JSON');
  },
  async run(io, args, opts) {
    const { showRequest } = await import('../commands/requests.js');
    return showRequest(io, String(args[0]), opts);
  },
});
