import { defineCommand } from '../command.js';

const pack = defineCommand({
  name: 'pack',
  summary: 'build an audit evidence pack (CSV, HTML/PDF, OSCAL, OCSF) from verified ledger bundles',
  define(cmd) {
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
  },
  async run(io, args, opts) {
    const { evidencePack } = await import('../commands/evidence-pack.js');
    return evidencePack(io, (args[0] as string[] | undefined) ?? [], opts);
  },
});

export const evidenceSpec = defineCommand({
  name: 'evidence',
  summary: 'audit evidence from the ledger',
  define() {},
  run() {
    return Promise.resolve(0);
  },
  subcommands: [pack],
});
