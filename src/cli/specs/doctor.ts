import { defineCommand, type Declaration, type OptionsOf } from '../command.js';

const doctorOptions = (cmd: Declaration) =>
  cmd
    .option('--json', 'print the checks as JSON')
    .addHelpText('after', '\nExit codes: 0 no check failed (warnings allowed), 70 at least one failed.');
export type DoctorOptions = OptionsOf<typeof doctorOptions>;

export const doctorSpec = defineCommand({
  name: 'doctor',
  summary: 'check daemon, policy, ledger, key store, channels and agent hooks, each with a fix',
  define: doctorOptions,
  async run(io, _args, opts) {
    const { doctorCommand } = await import('../commands/doctor.js');
    return doctorCommand(io, opts);
  },
});
