import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, interleaved, median, timeCommand } from './lib.js';
import type { Suite } from './suites.js';

/**
 * `guard exec -- true` with a warm daemon against two baselines measured in the same run:
 * `node -e 0` (the yardstick) and a minimal ES-module client that connects to the same
 * socket and spawns `true` (what any Node client must pay: the ESM loader, built-ins, a spawn).
 */
export const startupSuite: Suite = {
  name: 'startup',
  async run() {
    const home = mkdtempSync(join(tmpdir(), 'guard-bench-'));
    const env = { ...process.env, GUARD_HOME: home };
    const runs = Number(process.env['BENCH_RUNS'] ?? 40);
    const bin = join(process.cwd(), 'bin', 'guard.js');
    const floor = join(process.cwd(), 'bench', 'fixtures', 'floor-client.mjs');
    const socket = join(home, 'run', 'guard.sock');
    try {
      // starts the daemon on demand, and warms the page cache
      timeCommand(process.execPath, [bin, 'exec', '--', 'true'], env);
      timeCommand(process.execPath, ['-e', '0']);
      timeCommand(process.execPath, [floor, socket, 'true']);
      const r = interleaved(runs, {
        node: () => timeCommand(process.execPath, ['-e', '0']),
        floor: () => timeCommand(process.execPath, [floor, socket, 'true']),
        guard: () => timeCommand(process.execPath, [bin, 'exec', '--', 'true'], env),
      });
      const node = median(r['node']!);
      const fl = median(r['floor']!);
      const guard = median(r['guard']!);
      process.stdout.write(`runs per case: ${runs} (interleaved), warm daemon\n`);
      process.stdout.write(`node -e 0                          median ${fmt(node)} ms\n`);
      process.stdout.write(`minimal ESM socket+spawn client    median ${fmt(fl)} ms\n`);
      process.stdout.write(`guard exec -- true                 median ${fmt(guard)} ms\n`);
      process.stdout.write(`ratio guard/node: ${fmt(guard / node)}  (floor/node: ${fmt(fl / node)})\n`);
      process.stdout.write(`ratio guard/floor: ${fmt(guard / fl)}\n`);
    } finally {
      spawnSync(process.execPath, [bin, 'daemon', 'stop'], { env, stdio: 'ignore' });
      rmSync(home, { recursive: true, force: true });
    }
  },
};
