import { defineCommand, defineGroup, type Declaration, type OptionsOf } from '../command.js';

const packOptions = (cmd: Declaration) =>
  cmd
    .argument('<bundle...>', 'ledger bundles (`guard ledger export`), one or more per host')
    .requiredOption('--period <from..to>', 'YYYY-MM-DD..YYYY-MM-DD (both days included) or ISO times (end excluded)')
    .requiredOption('--out <dir>', 'directory to create (must not exist)')
    .option('--pubkey <file...>', 'pinned genesis key file of each ledger (`guard ledger pubkey --out`)')
    .option('--sample <n>', 'items to sample for per-item testing', '25')
    .option('--seed <text>', "the auditor's sampling seed", '')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 pack written and every bundle verified; 1 pack written but a bundle was rejected (see exceptions.csv); 2 unusable pinned key; 64 usage error.',
    );
export type EvidencePackOptions = OptionsOf<typeof packOptions>;

const pack = defineCommand({
  name: 'pack',
  summary: 'build an audit evidence pack (CSV, HTML/PDF, OSCAL, OCSF) from verified ledger bundles',
  define: packOptions,
  async run(io, [bundles], opts) {
    const { evidencePack } = await import('../commands/evidence-pack.js');
    return evidencePack(io, bundles, opts);
  },
});

export const evidenceSpec = defineGroup({
  name: 'evidence',
  summary: 'audit evidence from the ledger',
  subcommands: [pack],
});
