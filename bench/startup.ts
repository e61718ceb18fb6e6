import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, interleaved, median, timeCommand } from './lib.js';
import type { Suite } from './suites.js';

export const startupSuite: Suite = {
  name: 'startup',
  async run() {
    const home = mkdtempSync(join(tmpdir(), 'guard-bench-'));
    const env = { ...process.env, GUARD_HOME: home };
    const runs = Number(process.env['BENCH_RUNS'] ?? 40);
    const bin = join(process.cwd(), 'bin', 'guard.js');
    // warm the page cache
    timeCommand(process.execPath, ['-e', '0']);
    timeCommand(process.execPath, [bin, 'exec', '--', 'true'], env);
    const r = interleaved(runs, {
      node: () => timeCommand(process.execPath, ['-e', '0']),
      guard: () => timeCommand(process.execPath, [bin, 'exec', '--', 'true'], env),
    });
    const node = median(r['node']!);
    const guard = median(r['guard']!);
    process.stdout.write(`runs per case: ${runs} (interleaved)\n`);
    process.stdout.write(`node -e 0                 median ${fmt(node)} ms\n`);
    process.stdout.write(`guard exec -- true        median ${fmt(guard)} ms\n`);
    process.stdout.write(`ratio guard/node: ${fmt(guard / node)}\n`);
  },
};
