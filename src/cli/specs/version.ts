import { BUILD_ID, VERSION } from '../../version.js';
import { writeLine } from '../io.js';
import { defineCommand, type Declaration } from '../command.js';

const versionOptions = (cmd: Declaration) =>
  cmd
    .option('--json', 'print {"version","build","node"} as JSON')
    .addHelpText('after', '\nExamples:\n  guard version\n  guard version --json');

export const versionSpec = defineCommand({
  name: 'version',
  summary: 'print the guard version (--json: also the build id and Node version)',
  define: versionOptions,
  run(io, _args, opts) {
    if (opts.json === true)
      writeLine(io.stdout, JSON.stringify({ version: VERSION, build: BUILD_ID ?? null, node: process.version }));
    else writeLine(io.stdout, VERSION);
    return Promise.resolve(0);
  },
});
