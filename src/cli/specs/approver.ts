import { InvalidArgumentError } from 'commander';
import { defineCommand } from '../command.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
const fdNumber = (value: string): number => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a file descriptor number, e.g. 3');
  return Number(value);
};

const enrollSpec = defineCommand({
  name: 'enroll',
  summary: 'enroll a human approver: create their passphrase-protected key and register its public half',
  define(cmd) {
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
  },
  async run(io, _args, opts) {
    const { approverEnroll } = await import('../commands/approver-enroll.js');
    return approverEnroll(io, opts);
  },
});

const listSpec = defineCommand({
  name: 'list',
  summary: 'list enrolled approvers',
  define(cmd) {
    cmd.option('--json', 'print the records as JSON');
  },
  async run(io, _args, opts) {
    const { approverList } = await import('../commands/approver-list.js');
    return approverList(io, opts);
  },
});

const showSpec = defineCommand({
  name: 'show',
  summary: 'show one enrolled approver',
  define(cmd) {
    cmd.argument('<name>', 'approver name').option('--json', 'print the record as JSON');
  },
  async run(io, args, opts) {
    const { approverShow } = await import('../commands/approver-list.js');
    return approverShow(io, String(args[0]), opts);
  },
});

export const approverSpec = defineCommand({
  name: 'approver',
  summary: 'enroll and list the humans who can approve held commands',
  define() {},
  run() {
    return Promise.resolve(0);
  },
  subcommands: [enrollSpec, listSpec, showSpec],
});
