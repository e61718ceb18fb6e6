/**
 * Allowed commands per second with 32 concurrent clients, 0 ledger records lost (issue 19), and
 * where the CPU goes per command. The load generator is GNU `xargs -P 32` (a C program forking
 * each client, so the harness costs what a shell would, not a Node `spawn`); the same generator
 * running `true` alone is measured in the same run, which gives the floor: what two processes per
 * command (the client and its command) cost on this machine before guard does anything.
 *
 * Every command must leave its four ledger records (request, decision, exec_start, exec_end),
 * counted through the daemon's history. CPU is read from /proc (the daemon) and from the reaped
 * children of the generator (clients, their commands, xargs). Figures depend on the machine load,
 * printed with them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonClient } from '../src/daemon/client.js';
import { ask } from '../src/daemon/replies.js';
import { fmt } from './lib.js';
import type { Suite } from './suites.js';

const CLIENTS = 32;
const RECORD_TYPES = ['request', 'decision', 'exec_start', 'exec_end'] as const;
type Counts = Record<(typeof RECORD_TYPES)[number], number>;

/** CPU ms used so far by a process (user + system, from /proc; USER_HZ 100). */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

/** The ledger's records of each exec type, through the daemon. */
async function counts(socket: string): Promise<Counts> {
  const c = await DaemonClient.connect(socket);
  const out: Counts = { request: 0, decision: 0, exec_start: 0, exec_end: 0 };
  let since = 0;
  try {
    for (;;) {
      const page = await ask(c, { type: 'history', sinceSeq: since, limit: 10_000 });
      const records = page.records as { seq: number; type: string }[];
      for (const r of records) if (r.type in out) out[r.type as keyof Counts]++;
      if (!page.more || records.length === 0) break;
      since = records[records.length - 1]!.seq;
    }
  } finally {
    c.close();
  }
  return out;
}

/**
 * Run `cmd args` n times, CLIENTS at once, under `xargs -P`: wall ms, CPU ms of everything the
 * generator started (its own included, from the shell's rusage of reaped children), its exit code.
 */
async function generate(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  n: number,
): Promise<{ ms: number; cpu: number; code: number | null }> {
  // `times` prints the shell's and its children's user/system seconds; the children are seq and
  // xargs, and xargs's reaped children (the clients, which reap their commands) are counted in it
  const script = 'seq "$1" | xargs -P "$2" -I @ "${@:3}"; s=$?; times; exit $s';
  const t0 = performance.now();
  const child = spawn('/bin/bash', ['-c', script, 'gen', String(n), String(CLIENTS), cmd, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((res) => child.on('close', res));
  const ms = performance.now() - t0;
  const lines = out.trim().split('\n');
  const seconds = (lines[lines.length - 1] ?? '')
    .split(/\s+/)
    .map((t) => /^(\d+)m([\d.]+)s$/.exec(t))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]) * 60 + Number(m[2]));
  if (seconds.length !== 2) throw new Error(`cannot read the generator's CPU times: ${out}`);
  return { ms, cpu: (seconds[0]! + seconds[1]!) * 1000, code };
}

export const throughputSuite: Suite = {
  name: 'throughput',
  async run() {
    const n = Number(process.env['BENCH_CONCURRENT_RUNS'] ?? 640);
    const bin = join(process.cwd(), 'bin', 'guard.js');
    const native = join(process.cwd(), 'dist', 'guard-native');
    const out = (s: string): boolean => process.stdout.write(`${s}\n`);
    const load = (): string => `load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`;
    const base: NodeJS.ProcessEnv = { ...process.env };
    delete base['NODE_EXTRA_CA_CERTS'];

    // the floor: the same generator running the command alone (one process per command)
    const floor = await generate('true', [], base, n);
    const floorCpu = floor.cpu / n;
    out(
      `  xargs -P ${CLIENTS} true (generator + command only): ${fmt((n * 1000) / floor.ms, 0)}/s; CPU ${fmt(floorCpu)} ms per command (${load()})`,
    );

    const home = mkdtempSync(join(tmpdir(), 'guard-bench-'));
    const env = { ...base, GUARD_HOME: home, GUARD_SELF: bin };
    const socket = join(home, 'run', 'guard.sock');
    try {
      const started = spawnSync(process.execPath, [bin, 'daemon', 'start'], { env, stdio: 'ignore' });
      if (started.status !== 0) throw new Error('the daemon did not start');
      const daemonPid = Number(readFileSync(join(home, 'run', 'daemon.pid'), 'utf8').trim());
      const clients: [string, string, string[], number][] = [];
      if (existsSync(native)) clients.push(['native', native, ['exec', '--', 'true'], n]);
      else out('  native exec client not built (no Rust toolchain): its figures are skipped');
      clients.push(['Node', process.execPath, [bin, 'exec', '--', 'true'], Math.min(n, 96)]);
      for (const [name, cmd, args, count] of clients) {
        await generate(cmd, args, env, CLIENTS); // warm the daemon and the page cache
        const before = await counts(socket);
        const d0 = cpuMs(daemonPid);
        const t = await generate(cmd, args, env, count);
        const d1 = cpuMs(daemonPid);
        // exec_end is sent after the command ran; the client does not wait for its commit
        let after = await counts(socket);
        for (let i = 0; i < 100 && RECORD_TYPES.some((k) => after[k] - before[k] < count); i++) {
          await new Promise((res) => setTimeout(res, 100));
          after = await counts(socket);
        }
        const lost = RECORD_TYPES.map((k) => count - (after[k] - before[k]));
        const daemonCpu = (d1 - d0) / count;
        const clientCpu = t.cpu / count;
        const total = daemonCpu + clientCpu;
        out(
          `  ${CLIENTS} concurrent clients (${name}, xargs -P ${CLIENTS}): ${count} allowed commands in ${fmt(t.ms, 0)} ms = ${fmt((count * 1000) / t.ms, 1)}/s; generator exit ${t.code}; records lost (request/decision/exec_start/exec_end) ${lost.join('/')}${name === 'native' ? '  (target ≥ 300/s, 0 lost)' : ''}`,
        );
        out(
          `    CPU per command: daemon ${fmt(daemonCpu)} ms, client + command + generator ${fmt(clientCpu)} ms (of which the generator + command alone: ${fmt(floorCpu)} ms); total ${fmt(total)} ms → at most ${fmt((cpus().length * 1000) / total, 0)}/s with every core (${load()})`,
        );
      }
    } finally {
      spawnSync(process.execPath, [bin, 'daemon', 'stop'], { env, stdio: 'ignore' });
      rmSync(home, { recursive: true, force: true });
    }
  },
};
