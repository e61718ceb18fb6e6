import { defineCommand, type Declaration, type OptionsOf } from '../command.js';

const requestsOptions = (cmd: Declaration) =>
  cmd
    .option('--all', 'include decided, expired and cancelled requests (most recent 500)')
    .option('--json', 'print machine-readable JSON');
export type RequestsOptions = OptionsOf<typeof requestsOptions>;

export const requestsSpec = defineCommand({
  name: 'requests',
  summary: 'list requests waiting for approval and usable grants (--all: recent history)',
  define: requestsOptions,
  async run(io, _args, opts) {
    const { listRequests } = await import('../commands/requests.js');
    return listRequests(io, opts);
  },
});

const showOptions = (cmd: Declaration) =>
  cmd.argument('<id>', 'request id (rq-…)').option('--json', 'print machine-readable JSON');
export type ShowRequestOptions = OptionsOf<typeof showOptions>;

export const showSpec = defineCommand({
  name: 'show',
  summary: 'show one request: command, rules, context, votes, state and grant',
  define: showOptions,
  async run(io, args, opts) {
    const { showRequest } = await import('../commands/requests.js');
    return showRequest(io, args[0], opts);
  },
});
