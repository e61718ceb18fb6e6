/**
 * `npm run bench`: every benchmark, each reporting ratios against a baseline measured in the same
 * run (absolute times on a shared machine mean little). Suites register in bench/suites.ts.
 */
import { suites } from './suites.js';

const only = process.argv.slice(2);
for (const suite of suites) {
  if (only.length > 0 && !only.includes(suite.name)) continue;
  process.stdout.write(`\n## ${suite.name}\n`);
  await suite.run();
}
