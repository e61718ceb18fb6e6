import { InvalidArgumentError } from '@commander-js/extra-typings';
import { defineCommand, defineGroup, type Declaration, type OptionsOf } from '../command.js';

const fdNumber = (value: string): number => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a file descriptor number, e.g. 3');
  return Number(value);
};

const after = `
The value is read from --from-file or --from-fd, never from the command line or the environment.
The daemon keeps it (OS keychain, else a 0600 file in GUARD_HOME/credentials); only the daemon's
user or root may manage credentials, and the ledger records name, version and a salted hash only.`;

const valueOptions = (cmd: Declaration) =>
  cmd
    .argument('<name>', 'credential name (lower-case letters, digits, . _ -)')
    .option('--env <VAR>', 'the command receives the value in environment variable VAR')
    .option('--file <VAR>', 'the value is written to a private file for one run; VAR names its path')
    .option('--mint <VAR>', 'the value is the path of a trusted program that prints a short-lived token into VAR')
    .option('--ttl <seconds>', 'for --mint: how long a minted token lives (default 900)', fdNumber)
    .option('--from-file <file>', 'read the value from this file')
    .option('--from-fd <n>', 'read the value from this file descriptor', fdNumber)
    .option('--json', 'print the stored record as JSON')
    .addHelpText('after', after);
export type CredentialPutOptions = OptionsOf<typeof valueOptions>;

const removeOptions = (cmd: Declaration) =>
  cmd.argument('<name>', 'credential name').option('--json', 'print the removed record as JSON');
export type CredentialRemoveOptions = OptionsOf<typeof removeOptions>;

const listOptions = (cmd: Declaration) => cmd.option('--json', 'print the records as JSON');
export type CredentialListOptions = OptionsOf<typeof listOptions>;

const addSpec = defineCommand({
  name: 'add',
  summary: 'store a credential that commands matching a rule with `credentials:` receive',
  define: valueOptions,
  async run(io, args, opts) {
    const { credentialPut } = await import('../commands/credential.js');
    return credentialPut(io, 'add', args[0], opts);
  },
});

const rotateSpec = defineCommand({
  name: 'rotate',
  summary: 'replace a credential with a new version (same kind and target)',
  define: valueOptions,
  async run(io, args, opts) {
    const { credentialPut } = await import('../commands/credential.js');
    return credentialPut(io, 'rotate', args[0], opts);
  },
});

const removeSpec = defineCommand({
  name: 'remove',
  summary: 'remove a credential',
  define: removeOptions,
  async run(io, args, opts) {
    const { credentialRemove } = await import('../commands/credential.js');
    return credentialRemove(io, args[0], opts);
  },
});

const listSpec = defineCommand({
  name: 'list',
  summary: 'list credentials (names, kinds, versions; never values)',
  define: listOptions,
  async run(io, _args, opts) {
    const { credentialList } = await import('../commands/credential.js');
    return credentialList(io, opts);
  },
});

export const credentialSpec = defineGroup({
  name: 'credential',
  summary: 'enforced mode: the credentials guard holds and releases only into allowed or approved commands',
  subcommands: [addSpec, rotateSpec, removeSpec, listSpec],
});
