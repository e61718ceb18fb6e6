import { defineCommand, type CommandSpec, type Declaration, type OptionsOf } from '../command.js';
import type { Command, OptionValues } from '@commander-js/extra-typings';
import { UsageError } from '../../errors.js';
import type { Io } from '../io.js';
import { tuiOptions } from './tui.js';

function keyOptions<A extends unknown[], O extends OptionValues>(cmd: Command<A, O>) {
  return cmd
    .option('--as <name>', 'approver name (default: GUARD_APPROVER, or the only key in your approver directory)')
    .option('--passphrase-file <file>', 'read the key passphrase from this file (otherwise: a terminal prompt)')
    .option('--passphrase-fd <n>', 'read the key passphrase from this file descriptor (e.g. 3 3<file)')
    .option('--json', 'print the resulting request state as JSON')
    .addHelpText('after', SIGNING);
}

/** Batch review: every open request of one agent session, each signed over its own fingerprint. */
function sessionOptions<A extends unknown[], O extends OptionValues>(cmd: Command<A, O>) {
  return cmd
    .option('--session <id>', 'decide every open request of this agent session at once (listed before signing)')
    .option('--expect <n>', 'with --session: refuse unless the session has exactly this many open requests');
}

const SIGNING = `
The decision is signed with your approver key (Ed25519, unlocked with your passphrase; never read
from an environment variable) and bound to the request's fingerprint; the daemon verifies it
against your enrolled public key and records it in the ledger.`;

const ID_HELP = 'request id (rq-…; see `guard requests`)';

const approveOptions = (cmd: Declaration) =>
  keyOptions(
    tuiOptions(
      sessionOptions(cmd.argument('[id]', ID_HELP))
        .option('--reason <text>', 'note recorded with the approval')
        .option('--uses <n>', 'scoped grant: this many uses (within the policy max_uses)')
        .option('--for <duration>', 'scoped grant: valid this long (within the policy max_ttl; default 15m)')
        .option('--this-session', "scoped grant: any command of the same rules in the request's agent session"),
    ),
  );

const denyOptions = (cmd: Declaration) =>
  keyOptions(sessionOptions(cmd.argument('[id]', ID_HELP)).requiredOption('--reason <text>', 'why it is denied'));

const askOptions = (cmd: Declaration) =>
  keyOptions(cmd.argument('<id>', ID_HELP).requiredOption('--question <text>', 'the question'));

/** What `guard approve|deny|ask ID` reads: any option of the three commands. */
export type DecideOptions = Partial<
  OptionsOf<typeof approveOptions> & OptionsOf<typeof denyOptions> & OptionsOf<typeof askOptions>
>;

/** `--session ID` decides a whole agent session (commands/batch.ts); both at once is a usage error. */
async function bySession(
  io: Io,
  action: 'approve' | 'deny',
  id: string | undefined,
  session: string,
  opts: DecideOptions,
): Promise<number> {
  if (id !== undefined) throw new UsageError('give a request id or --session, not both');
  return (await import('../commands/batch.js')).decideSession(io, action, session, opts);
}

const revokeOptions = (cmd: Declaration) =>
  cmd.argument('<id>', 'request id').option('--reason <text>', 'recorded with the revocation');

const replyOptions = (cmd: Declaration) =>
  cmd.argument('<id>', 'request id').requiredOption('--message <text>', 'the answer');

const waitOptions = (cmd: Declaration) =>
  cmd
    .argument('<id>', 'request id')
    .option('--timeout <duration>', 'give up after this long (exit 75)')
    .option('--json', 'print the outcome as JSON');

const extendOptions = (cmd: Declaration) =>
  keyOptions(
    cmd
      .argument('<id>', 'request id of the approved grant')
      .option('--uses <n>', 'uses left afterwards (at most the policy max_uses)')
      .option('--for <duration>', 'valid this long from now (at most the policy max_ttl)')
      .option('--reason <text>', 'recorded with the extension'),
  );

export type ExtendOptions = OptionsOf<typeof extendOptions>;
export type ReplyOptions = OptionsOf<typeof replyOptions>;
export type RevokeOptions = OptionsOf<typeof revokeOptions>;
export type WaitOptions = OptionsOf<typeof waitOptions>;

export const decideSpecs: CommandSpec[] = [
  defineCommand({
    name: 'approve',
    summary: 'approve a pending request with your signed approver key',
    define: approveOptions,
    async run(io, [id], opts) {
      if (opts.session !== undefined) return bySession(io, 'approve', id, opts.session, opts);
      if (id === undefined) return (await import('../commands/tui.js')).tuiCommand(io, opts); // no id: the TUI
      return (await import('../commands/decide.js')).decide(io, 'approve', id, opts);
    },
  }),
  defineCommand({
    name: 'deny',
    summary: 'deny a pending request (signed); the requester is told the reason',
    define: denyOptions,
    async run(io, [id], opts) {
      if (opts.session !== undefined) return bySession(io, 'deny', id, opts.session, opts);
      return (await import('../commands/decide.js')).decide(io, 'deny', id, opts);
    },
  }),
  defineCommand({
    name: 'ask',
    summary: 'ask the requester a question (signed); the request waits for the answer',
    define: askOptions,
    async run(io, [id], opts) {
      return (await import('../commands/decide.js')).decide(io, 'ask', id, opts);
    },
  }),
  defineCommand({
    name: 'reply',
    summary: "answer an approver's question about your request",
    define: replyOptions,
    async run(io, [id], opts) {
      const { replyCommand } = await import('../commands/reply.js');
      return replyCommand(io, id, opts);
    },
  }),
  defineCommand({
    name: 'extend',
    summary: 'give an approved grant more uses or a later expiry (signed; within the policy max_uses / max_ttl)',
    define: extendOptions,
    async run(io, [id], opts) {
      const { extendGrantCommand } = await import('../commands/extend.js');
      return extendGrantCommand(io, id, opts);
    },
  }),
  defineCommand({
    name: 'revoke',
    summary: 'end a pending request or an approved grant at once',
    define: revokeOptions,
    async run(io, [id], opts) {
      const { revokeCommand } = await import('../commands/revoke.js');
      return revokeCommand(io, id, opts);
    },
  }),
  defineCommand({
    name: 'wait',
    summary: 'wait for a --no-wait request: exit 0 approved (re-run the command), 76 not approved, 75 still pending',
    define: waitOptions,
    async run(io, [id], opts) {
      const { waitCommand } = await import('../commands/wait.js');
      return waitCommand(io, id, opts);
    },
  }),
];
