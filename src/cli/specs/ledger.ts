import { defineCommand, defineGroup, type Declaration, type OptionsOf } from '../command.js';

const dbOption = '--db <path>' as const;
const dbHelp = 'ledger database (default: the one under GUARD_HOME)';

const showOptions = (cmd: Declaration) =>
  cmd
    .option('--json', 'one JSON record per line')
    .option('--since <seq>', 'only records after this sequence number')
    .option('--type <type>', 'only records of this type (request, decision, approval, exec_start, …)')
    .option('--request <id>', 'only records about this request id')
    .option('--limit <n>', 'at most this many records')
    .option(dbOption, dbHelp);

const show = defineCommand({
  name: 'show',
  summary: 'print ledger records (no verification: use `guard ledger verify`)',
  define: showOptions,
  async run(io, _args, opts) {
    const { ledgerShow } = await import('../commands/ledger-show.js');
    return ledgerShow(io, opts);
  },
});

const pubkeyOptions = (cmd: Declaration) =>
  cmd
    .option('--json', 'print as JSON')
    .option('--out <file>', 'also write the key file to pin here')
    .option(dbOption, dbHelp);

const pubkey = defineCommand({
  name: 'pubkey',
  summary: 'print the genesis public key and its fingerprint, to pin for verification',
  define: pubkeyOptions,
  async run(io, _args, opts) {
    const { ledgerPubkey } = await import('../commands/ledger-show.js');
    return ledgerPubkey(io, opts);
  },
});

const exportOptions = (cmd: Declaration) =>
  cmd
    .requiredOption('--out <file>', 'bundle file to write (a tar file)')
    .option(
      '--since-checkpoint <file>',
      'a previous bundle (or its final checkpoint): include a consistency proof from it',
    )
    .option('--json', 'print the summary as JSON')
    .option(dbOption, dbHelp);

const exportCmd = defineCommand({
  name: 'export',
  summary: 'write a verifiable bundle: records, checkpoints, manifest, consistency proof',
  define: exportOptions,
  async run(io, _args, opts) {
    const { ledgerExport } = await import('../commands/ledger-export.js');
    return ledgerExport(io, opts);
  },
});

const verifyOptions = (cmd: Declaration) =>
  cmd
    .argument('[bundle...]', 'bundle file written by `guard ledger export`')
    .option('--db <path>', 'verify a ledger database instead of a bundle')
    .option('--pubkey <file>', 'the pinned genesis public key file (from `guard ledger pubkey --out`)')
    .option('--state <file>', 'keep the last verified size and root here; catches later rollback, fork or truncation')
    .option('--json', 'print the result as JSON')
    .option(
      '--witness <vkey>',
      'require a valid cosignature by this witness key (repeatable; printed by the hub)',
      (v: string, acc: string[] = []) => [...acc, v],
    )
    .allowUnknownOption()
    .addHelpText(
      'after',
      '\nExit codes: 0 intact, 1 integrity failure (the reason names the record), 2 usage or trust-anchor error.',
    );

const verify = defineCommand({
  name: 'verify',
  summary: 'verify a bundle or a ledger database offline against a pinned public key',
  define: verifyOptions,
  async run(io, [bundles], opts) {
    const { ledgerVerify } = await import('../commands/ledger-verify.js');
    return ledgerVerify(io, bundles, opts);
  },
});

const rotateOptions = (cmd: Declaration) => cmd.option('--json', 'print the new key as JSON').option(dbOption, dbHelp);

const rotate = defineCommand({
  name: 'rotate',
  summary: 'rotate the ledger signing key (hand-over checkpoint signed by the old key, old key deleted)',
  define: rotateOptions,
  async run(io, _args, opts) {
    const { ledgerRotate } = await import('../commands/ledger-rotate.js');
    return ledgerRotate(io, opts);
  },
});

export type LedgerShowOptions = OptionsOf<typeof showOptions>;
export type LedgerPubkeyOptions = OptionsOf<typeof pubkeyOptions>;
export type LedgerExportOptions = OptionsOf<typeof exportOptions>;
export type LedgerVerifyOptions = OptionsOf<typeof verifyOptions>;
export type LedgerRotateOptions = OptionsOf<typeof rotateOptions>;

export const ledgerSpec = defineGroup({
  name: 'ledger',
  summary: 'show, export, verify and rotate the signed ledger',
  subcommands: [show, pubkey, exportCmd, verify, rotate],
});
