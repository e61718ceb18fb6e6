import { InvalidArgumentError } from '@commander-js/extra-typings';
import { defineCommand, defineGroup, type Declaration, type OptionsOf } from '../command.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
const fdNumber = (value: string): number => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a file descriptor number, e.g. 3');
  return Number(value);
};

const enrollOptions = (cmd: Declaration) =>
  cmd
    .requiredOption('--name <name>', 'approver name (letters, digits, . _ -)')
    .requiredOption('--group <group>', 'approver group; repeat for several', collect)
    .option('--os-user <user>', 'OS user of this human, for four-eyes rules (default: the current user)')
    .option('--slack-user-id <id>', 'Slack user id whose button clicks count as this approver')
    .option('--email <email>', 'verified email (Teams/Entra, Okta) that counts as this approver')
    .option('--passphrase-file <file>', 'read the new passphrase from this file instead of prompting')
    .option('--passphrase-fd <n>', 'read the new passphrase from this file descriptor', fdNumber)
    .option('--endorse-by <name>', 'enrolled approver who vouches for this one (needed once one approver exists)')
    .option('--endorser-passphrase-file <file>', "read the endorser's passphrase from this file")
    .option('--endorser-passphrase-fd <n>', "read the endorser's passphrase from this file descriptor", fdNumber)
    .option('--idp', 'bind the key to a fresh login at the configured identity provider (identity: in config.yaml)')
    .option('--device', 'with --idp: sign in on another device (device code) instead of a browser on this machine')
    .option('--open-browser', 'with --idp: open the sign-in URL in a browser (it is always printed)')
    .option('--json', 'print the registered record as JSON')
    .addHelpText(
      'after',
      `
The private key is written, encrypted, to the approver's own config directory
($GUARD_APPROVER_HOME, else $XDG_CONFIG_HOME/guard-approver, else ~/.config/guard-approver);
only the public record goes to the guard registry. Passphrases are read from the terminal
(echo off) or from --passphrase-file / --passphrase-fd, never from environment variables.
Refuses to run under an AI agent (GUARD_AGENT, CLAUDECODE, ...).
When a guard daemon answers (GUARD_SOCKET, else this user's own), the daemon registers the
approver and records the enrollment in its ledger; only the daemon's user or root may enroll.

With --idp the login's nonce is a hash of the new public key, so the provider's signed ID
token names the key; the record keeps the IdP issuer, subject and that token, and every
--group must be listed in the token's groups claim (docs/identity.md).

Examples:
  guard approver enroll --name alice --group sre --idp                 # bound to the company IdP
  guard approver enroll --name alice --group sre                       # first (bootstrap) approver
  guard approver enroll --name bob --group sre --endorse-by alice      # later ones are endorsed`,
    );
export type ApproverEnrollOptions = OptionsOf<typeof enrollOptions>;

const enrollSpec = defineCommand({
  name: 'enroll',
  summary: 'enroll a human approver: create their passphrase-protected key and register its public half',
  define: enrollOptions,
  async run(io, _args, opts) {
    const { approverEnroll } = await import('../commands/approver-enroll.js');
    return approverEnroll(io, opts);
  },
});

const listOptions = (cmd: Declaration) =>
  cmd.option('--json', 'print the records as JSON').option('--all', 'include removed approvers');
export type ApproverListOptions = OptionsOf<typeof listOptions>;

const listSpec = defineCommand({
  name: 'list',
  summary: 'list enrolled approvers',
  define: listOptions,
  async run(io, _args, opts) {
    const { approverList } = await import('../commands/approver-list.js');
    return approverList(io, opts);
  },
});

const showOptions = (cmd: Declaration) =>
  cmd.argument('<name>', 'approver name').option('--json', 'print the record as JSON');
export type ApproverShowOptions = OptionsOf<typeof showOptions>;

const showSpec = defineCommand({
  name: 'show',
  summary: 'show one enrolled approver',
  define: showOptions,
  async run(io, args, opts) {
    const { approverShow } = await import('../commands/approver-list.js');
    return approverShow(io, args[0], opts);
  },
});

const removeOptions = (cmd: Declaration) =>
  cmd
    .argument('<name>', 'approver name')
    .requiredOption('--reason <text>', 'why (kept in the ledger)')
    .option('--json', 'print the record as JSON')
    .addHelpText(
      'after',
      `
The daemon's user or root only; recorded as approver_removed. The name and keys are never
reused, and the last approver cannot be removed (enroll the replacement first).

Examples:
  guard approver remove bob --reason "left the team"`,
    );
export type ApproverRemoveOptions = OptionsOf<typeof removeOptions>;

const removeSpec = defineCommand({
  name: 'remove',
  summary: 'remove an approver: it no longer counts for any decision (the record stays for the audit trail)',
  define: removeOptions,
  async run(io, args, opts) {
    const { approverRemove } = await import('../commands/approver-admin.js');
    return approverRemove(io, args[0], opts);
  },
});

const updateOptions = (cmd: Declaration) =>
  cmd
    .argument('<name>', 'approver name')
    .option('--group <group>', 'new groups (replace the old ones); repeat for several', collect)
    .option('--os-user <user>', 'new OS user (for four-eyes rules)')
    .option('--slack-user-id <id>', 'new Slack user id')
    .option('--email <email>', 'new verified email')
    .option('--clear <field>', 'remove slack-user-id or email; repeat for both', collect)
    .requiredOption('--endorse-by <name>', 'another enrolled approver, who signs the change')
    .option('--endorser-passphrase-file <file>', "read the signer's passphrase from this file")
    .option('--endorser-passphrase-fd <n>', "read the signer's passphrase from this file descriptor", fdNumber)
    .option('--json', 'print the record as JSON')
    .addHelpText(
      'after',
      `
Each of these widens what the approver can do, so another approver signs the change (like an
enrollment endorsement); recorded as approver_updated.

Examples:
  guard approver update alice --slack-user-id U0123ABCD --endorse-by bob
  guard approver update alice --group sre --group dba --endorse-by bob`,
    );
export type ApproverUpdateOptions = OptionsOf<typeof updateOptions>;

const updateSpec = defineCommand({
  name: 'update',
  summary: "change an approver's groups, OS user, Slack id or email, signed by another approver",
  define: updateOptions,
  async run(io, args, opts) {
    const { approverUpdate } = await import('../commands/approver-admin.js');
    return approverUpdate(io, args[0], opts);
  },
});

const rotateOptions = (cmd: Declaration) =>
  cmd
    .argument('<name>', 'approver name')
    .option('--passphrase-file <file>', 'read the current passphrase from this file')
    .option('--passphrase-fd <n>', 'read the current passphrase from this file descriptor', fdNumber)
    .option('--new-passphrase-file <file>', 'read the new passphrase from this file')
    .option('--new-passphrase-fd <n>', 'read the new passphrase from this file descriptor', fdNumber)
    .option('--json', 'print the record as JSON')
    .addHelpText(
      'after',
      `
The new encrypted key replaces the old key file; from then on only the new key approves.
Endorsements and changes the old key signed stay valid. Policy files signed with the old key
must be signed again. Recorded as approver_rotated.

Examples:
  guard approver rotate alice`,
    );
export type ApproverRotateOptions = OptionsOf<typeof rotateOptions>;

const rotateSpec = defineCommand({
  name: 'rotate',
  summary: "replace an approver's key: signed by the old key and the new one",
  define: rotateOptions,
  async run(io, args, opts) {
    const { approverRotate } = await import('../commands/approver-admin.js');
    return approverRotate(io, args[0], opts);
  },
});

export const approverSpec = defineGroup({
  name: 'approver',
  summary: 'enroll, list, update, rotate and remove the humans who can approve held commands',
  subcommands: [enrollSpec, listSpec, showSpec, updateSpec, rotateSpec, removeSpec],
});
