/**
 * Costs that must stay flat as the work grows (issue 19), each with a baseline from the same run:
 * - daemon start-up CPU on the shipped pack, cold (no example cache) and warm (decision 0005), as
 *   the daemon itself logs it ("start-up took N ms of CPU");
 * - `guard requests` with 10,000 pending: time to its first line and to its end through bin/guard
 *   (the wrapper users run: the native client when it was built, decision 0042) and through the
 *   Node client (`node bin/guard.js requests`), and `guard daemon status`, against `node -e 0` and
 *   `guard --version`, and the daemon's time for one page (decisions 0023, 0033);
 *   GUARD_BENCH_COMPARE=<other bin/guard.js> interleaves another build's `guard requests`.
 * BENCH_FLAT=startup runs the first block alone; GUARD_BENCH_BIN names another build's bin/guard.js.
 * The 10,000 requests are copies of one real held request written while the daemon is down, as
 * test/daemon/list-paging.test.ts does (raising them one by one takes minutes on a loaded machine).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { AGENT_ENV_VARS } from '../src/approval/agent-env.js';
import { DaemonClient } from '../src/daemon/client.js';
import { copyRequest } from '../test/daemon/helpers.js';
import { fmt, median, timeCommand } from './lib.js';
import type { Suite } from './suites.js';

const PENDING = 10_000;

const POLICY = `version: 1
default: allow
rules:
  - id: bench.approve
    description: Bench rule that needs one approval
    effect: approve
    match: { program: stamp }
    approval: { timeout: 2h }
`;

/** Wall ms to the first stdout byte and to the exit of `cmd args`; throws unless it exits 0. */
function firstLine(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ first: number; total: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first: number | undefined;
    let err = '';
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', () => (first ??= performance.now() - t0));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const total = performance.now() - t0;
      if (code !== 0 || first === undefined) reject(new Error(`${args.join(' ')}: exit ${code}: ${err}`));
      else resolve({ first, total });
    });
  });
}

export const flatSuite: Suite = {
  name: 'flat',
  async run() {
    const root = mkdtempSync('/tmp/gbench-flat-');
    const bin = process.env['GUARD_BENCH_BIN'] ?? join(process.cwd(), 'bin', 'guard.js');
    const home = join(root, 'h');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GUARD_HOME: home,
      GUARD_APPROVER_HOME: join(root, 'keys'),
      GUARD_KEYSTORE: 'file',
      GUARD_NO_AUTOSTART: '1',
    };
    for (const k of AGENT_ENV_VARS) delete env[k];
    const must = (args: string[]): string => {
      const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
      if (r.status !== 0) throw new Error(`guard ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const startCpu = (args: string[]): number => {
      must(['daemon', 'start', ...args]);
      const log = readFileSync(join(home, 'daemon.log'), 'utf8');
      must(['daemon', 'stop']);
      const all = [...log.matchAll(/start-up took (\d+) ms of CPU/g)];
      return Number(all[all.length - 1]![1]);
    };
    try {
      const runs = Number(process.env['BENCH_RUNS'] ?? 5);
      const cold: number[] = [];
      const warm: number[] = [];
      for (let i = 0; i < runs; i++) {
        rmSync(join(home, 'cache'), { recursive: true, force: true });
        cold.push(startCpu([]));
        warm.push(startCpu([]));
      }
      process.stdout.write(`daemon start-up CPU, shipped pack, ${runs} runs each (load ${loadavg()[0]!.toFixed(2)})\n`);
      process.stdout.write(`  cold (no example cache)   median ${fmt(median(cold), 0)} ms  [${cold.join(', ')}]\n`);
      process.stdout.write(
        `  warm (example cache)      median ${fmt(median(warm), 0)} ms  [${warm.join(', ')}]   (target <= 500 ms)\n`,
      );
      const steps = [
        ...readFileSync(join(home, 'daemon.log'), 'utf8').matchAll(/start-up took \d+ ms of CPU \(([^)]*)\)/g),
      ];
      if (steps.length > 0) process.stdout.write(`  last warm start by step   ${steps[steps.length - 1]![1]}\n`);
      // BENCH_FLAT=startup: the start-up block alone (to alternate builds quickly with GUARD_BENCH_BIN)
      if (process.env['BENCH_FLAT'] === 'startup') return;

      // 10,000 pending requests: one held for real, copied while the daemon is down
      const policy = join(root, 'policy.yaml');
      writeFileSync(policy, POLICY);
      must(['daemon', 'start', '--policy', policy]);
      const stamp = join(process.cwd(), 'test', 'daemon', 'fixtures', 'stamp');
      const held = spawnSync(process.execPath, [bin, 'exec', '--no-wait', '--', stamp, '/dev/null'], {
        env,
        encoding: 'utf8',
      });
      const template = /(rq-[0-9a-f]{12})/.exec(held.stderr + held.stdout)?.[1];
      if (template === undefined) throw new Error(`no held request: ${held.stderr}`);
      must(['daemon', 'stop']);
      copyRequest({ env }, template, PENDING - 1);
      must(['daemon', 'start', '--policy', policy]);
      try {
        const listing = must(['requests']);
        const lines = listing.split('\n').filter((l) => l.startsWith('rq-')).length;
        // the wrapper users run: bin/guard next to bin/guard.js, the native client when it was built
        const wrapper = join(dirname(bin), 'guard');
        const client = existsSync(join(dirname(bin), '..', 'dist', 'guard-native')) ? 'native client' : 'Node client';
        const wrapped = spawnSync(wrapper, ['requests'], { env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
        if (wrapped.status !== 0 || wrapped.stdout !== listing)
          throw new Error(`bin/guard requests differs from the Node client's listing: ${wrapped.stderr}`);
        // Node's own start, as every figure here, without the extra CA file some shells set (it
        // costs every Node process tens of ms); GUARD_BENCH_COMPARE names another build's
        // bin/guard.js whose `guard requests` runs interleaved with this one's
        const quiet: NodeJS.ProcessEnv = { ...env };
        delete quiet['NODE_EXTRA_CA_CERTS'];
        const other = process.env['GUARD_BENCH_COMPARE'];
        const node: number[] = [];
        const version: number[] = [];
        const status: number[] = [];
        const first: number[] = [];
        const total: number[] = [];
        // with NODE_EXTRA_CA_CERTS as the caller set it (issue 19 asks for both): the first lines
        // of `node -e 0`, bin/guard and the Node client
        const caFile = env['NODE_EXTRA_CA_CERTS'];
        const withCa: Record<'node' | 'wrapper' | 'client', number[]> = { node: [], wrapper: [], client: [] };
        const wrapFirst: number[] = [];
        const wrapTotal: number[] = [];
        const otherFirst: number[] = [];
        const otherTotal: number[] = [];
        for (let i = 0; i < runs; i++) {
          node.push(timeCommand(process.execPath, ['-e', '0'], quiet));
          version.push(timeCommand(process.execPath, [bin, '--version'], quiet));
          status.push(timeCommand(process.execPath, [bin, 'daemon', 'status'], quiet));
          const w = await firstLine(wrapper, ['requests'], quiet);
          wrapFirst.push(w.first);
          wrapTotal.push(w.total);
          const r = await firstLine(process.execPath, [bin, 'requests'], quiet);
          first.push(r.first);
          total.push(r.total);
          if (caFile !== undefined) {
            withCa.node.push(timeCommand(process.execPath, ['-e', '0'], env));
            withCa.wrapper.push((await firstLine(wrapper, ['requests'], env)).first);
            withCa.client.push((await firstLine(process.execPath, [bin, 'requests'], env)).first);
          }
          if (other !== undefined) {
            const o = await firstLine(process.execPath, [other, 'requests'], quiet);
            otherFirst.push(o.first);
            otherTotal.push(o.total);
          }
        }
        // the daemon's part: one `list` page over a connection already open, as the CLI asks for them
        const conn = await DaemonClient.connect(join(home, 'run', 'guard.sock'));
        const page: Record<number, number[]> = { 50: [], 200: [] };
        try {
          for (let i = 0; i < runs * 3; i++)
            for (const limit of [50, 200]) {
              const t0 = performance.now();
              await conn.call({ type: 'list', all: false, limit }, (d) => d);
              page[limit]!.push(performance.now() - t0);
            }
        } finally {
          conn.close();
        }
        process.stdout.write(
          `guard requests with ${PENDING} pending (${lines} lines), ${runs} interleaved runs (load ${loadavg()[0]!.toFixed(2)}; NODE_EXTRA_CA_CERTS unset)\n`,
        );
        process.stdout.write(`  node -e 0                  median ${fmt(median(node), 1)} ms (Node's own start)\n`);
        process.stdout.write(
          `  guard --version            median ${fmt(median(version), 1)} ms (the full CLI's start)\n`,
        );
        process.stdout.write(
          `  guard requests (bin/guard, ${client}): first line median ${fmt(median(wrapFirst), 1)} ms [${wrapFirst.map((t) => fmt(t, 0)).join(', ')}] (target <= 100 ms for the first page), all lines median ${fmt(median(wrapTotal), 1)} ms\n`,
        );
        process.stdout.write(
          `  node bin/guard.js requests: first line median ${fmt(median(first), 1)} ms (${fmt(median(first) - median(node), 1)} ms over node -e 0), all lines median ${fmt(median(total), 1)} ms\n`,
        );
        if (other !== undefined)
          process.stdout.write(
            `  compared build (${other}): first line median ${fmt(median(otherFirst), 1)} ms [${otherFirst.map((t) => fmt(t, 0)).join(', ')}], all lines median ${fmt(median(otherTotal), 1)} ms\n` +
              `  this build: first line [${first.map((t) => fmt(t, 0)).join(', ')}]\n`,
          );
        if (caFile !== undefined)
          process.stdout.write(
            `  NODE_EXTRA_CA_CERTS set: node -e 0 median ${fmt(median(withCa.node), 1)} ms; first line: bin/guard requests median ${fmt(median(withCa.wrapper), 1)} ms, node bin/guard.js requests median ${fmt(median(withCa.client), 1)} ms\n`,
          );
        process.stdout.write(`  guard daemon status        median ${fmt(median(status), 1)} ms\n`);
        process.stdout.write(
          `  daemon: one list page, open connection, ${runs * 3} runs: 50 requests median ${fmt(median(page[50]!), 1)} ms, 200 requests median ${fmt(median(page[200]!), 1)} ms\n`,
        );
      } finally {
        must(['daemon', 'stop']);
      }
    } finally {
      spawnSync(process.execPath, [bin, 'daemon', 'stop'], { env });
      rmSync(root, { recursive: true, force: true });
    }
  },
};
