import type { Command } from 'commander';
import { defineCommand, type CommandSpec } from '../command.js';
import { UsageError } from '../../errors.js';
import { tuiOptions } from './tui.js';

function keyOptions(cmd: Command): Command {
  return cmd
    .option('--as <name>', 'approver name (default: GUARD_APPROVER, or the only key in your approver directory)')
    .option('--passphrase-file <file>', 'read the key passphrase from this file (otherwise: a terminal prompt)')
    .option('--passphrase-fd <n>', 'read the key passphrase from this file descriptor (e.g. 3 3<file)')
    .option('--json', 'print the resulting request state as JSON');
}

/** Batch review: every open request of one agent session, each signed over its own fingerprint. */
function sessionOptions(cmd: Command): Command {
  return cmd
    .option('--session <id>', 'decide every open request of this agent session at once (listed before signing)')
    .option('--expect <n>', 'with --session: refuse unless the session has exactly this many open requests');
}

const SIGNING = `
The decision is signed with your approver key (Ed25519, unlocked with your passphrase; never read
from an environment variable) and bound to the request's fingerprint; the daemon verifies it
against your enrolled public key and records it in the ledger.`;

function decision(name: 'approve' | 'deny' | 'ask', summary: string, extra: (cmd: Command) => void): CommandSpec {
  return defineCommand({
    name,
    summary,
    define(cmd) {
      cmd.argument(name === 'ask' ? '<id>' : '[id]', 'request id (rq-…; see `guard requests`)');
      if (name !== 'ask') sessionOptions(cmd);
      extra(cmd);
      keyOptions(cmd).addHelpText('after', SIGNING);
    },
    async run(io, args, opts) {
      if (name !== 'ask' && opts['session'] !== undefined) {
        if (args[0] !== undefined) throw new UsageError('give a request id or --session, not both');
        return (await import('../commands/batch.js')).decideSession(io, name, opts['session'] as string, opts);
      }
      if (name === 'approve' && args[0] === undefined) return (await import('../commands/tui.js')).tuiCommand(io, opts); // no id: the TUI
      const { decide } = await import('../commands/decide.js');
      return decide(io, name, args[0] as string | undefined, opts);
    },
  });
}

export const decideSpecs: CommandSpec[] = [
  decision('approve', 'approve a pending request with your signed approver key', (c) =>
    tuiOptions(
      c
        .option('--reason <text>', 'note recorded with the approval')
        .option('--uses <n>', 'scoped grant: this many uses (within the policy max_uses)')
        .option('--for <duration>', 'scoped grant: valid this long (within the policy max_ttl; default 15m)')
        .option('--this-session', "scoped grant: any command of the same rules in the request's agent session"),
    ),
  ),
  decision('deny', 'deny a pending request (signed); the requester is told the reason', (c) =>
    c.requiredOption('--reason <text>', 'why it is denied'),
  ),
  decision('ask', 'ask the requester a question (signed); the request waits for the answer', (c) =>
    c.requiredOption('--question <text>', 'the question'),
  ),
  defineCommand({
    name: 'reply',
    summary: "answer an approver's question about your request",
    define(cmd) {
      cmd.argument('<id>', 'request id').requiredOption('--message <text>', 'the answer');
    },
    async run(io, args, opts) {
      const { replyCommand } = await import('../commands/reply.js');
      return replyCommand(io, String(args[0]), opts);
    },
  }),
  defineCommand({
    name: 'extend',
    summary: 'give an approved grant more uses or a later expiry (signed; within the policy max_uses / max_ttl)',
    define(cmd) {
      cmd
        .argument('<id>', 'request id of the approved grant')
        .option('--uses <n>', 'uses left afterwards (at most the policy max_uses)')
        .option('--for <duration>', 'valid this long from now (at most the policy max_ttl)')
        .option('--reason <text>', 'recorded with the extension');
      keyOptions(cmd).addHelpText('after', SIGNING);
    },
    async run(io, args, opts) {
      const { extendGrantCommand } = await import('../commands/extend.js');
      return extendGrantCommand(io, String(args[0]), opts);
    },
  }),
  defineCommand({
    name: 'revoke',
    summary: 'end a pending request or an approved grant at once',
    define(cmd) {
      cmd.argument('<id>', 'request id').option('--reason <text>', 'recorded with the revocation');
    },
    async run(io, args, opts) {
      const { revokeCommand } = await import('../commands/revoke.js');
      return revokeCommand(io, String(args[0]), opts);
    },
  }),
  defineCommand({
    name: 'wait',
    summary: 'wait for a --no-wait request: exit 0 approved (re-run the command), 76 not approved, 75 still pending',
    define(cmd) {
      cmd
        .argument('<id>', 'request id')
        .option('--timeout <duration>', 'give up after this long (exit 75)')
        .option('--json', 'print the outcome as JSON');
    },
    async run(io, args, opts) {
      const { waitCommand } = await import('../commands/wait.js');
      return waitCommand(io, String(args[0]), opts);
    },
  }),
];
