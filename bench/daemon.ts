/**
 * The daemon's numbers, each against a baseline measured in the same run:
 * - overhead of `guard exec -- true` with a warm daemon vs `node -e 0` (median ratio, interleaved);
 * - approval latency: signed approval sent → the approved child process started (p50/p99);
 * - throughput of allowed commands with 32 concurrent clients (real CLI processes, and protocol
 *   clients for the daemon's own capacity), with ledger records lost = 0.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_ENV_VARS } from '../src/approval/agent-env.js';
import { unlockApproverKey } from '../src/approval/keys.js';
import { DaemonClient } from '../src/daemon/client.js';
import { fmt, interleaved, median, quantile, timeCommand } from './lib.js';
import type { Suite } from './suites.js';
import { ask } from '../src/daemon/replies.js';

const POLICY = `version: 1
default: allow
rules:
  - id: bench.approve
    description: Bench rule that needs one approval
    effect: approve
    match: { program: stamp }
    approval: { timeout: 120s }
`;

function wallNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

async function approvalLatency(
  env: NodeJS.ProcessEnv,
  bin: string,
  home: string,
  socket: string,
  runs: number,
): Promise<number[]> {
  const stampFile = join(home, 'stamps');
  const stamp = join(process.cwd(), 'test', 'daemon', 'fixtures', 'stamp');
  const key = unlockApproverKey(
    readFileSync(join(home, 'keys', 'bench.key'), 'utf8'),
    Buffer.from('bench passphrase for the daemon'),
  );
  const client = await DaemonClient.connect(socket);
  const out: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      rmSync(stampFile, { force: true });
      const child: ChildProcess = spawn(process.execPath, [bin, 'exec', '--', stamp, stampFile], {
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      const id = await new Promise<string>((resolve, reject) => {
        child.stderr!.on('data', (c: Buffer) => {
          err += c.toString();
          const m = /request (rq-[0-9a-f]{12}) is waiting/.exec(err);
          if (m) resolve(m[1]!);
        });
        child.on('exit', () => reject(new Error(`exec ended early: ${err}`)));
      });
      const detail = await ask(client, { type: 'show', requestId: id });
      const signed = key.sign({
        v: 1,
        requestId: id,
        fingerprint: detail.fingerprint,
        action: 'approve',
        at: new Date().toISOString(),
        approver: 'bench',
      });
      const t0 = wallNs();
      await ask(client, { type: 'decide', signed });
      await new Promise((r) => child.on('exit', r));
      const started = BigInt(readFileSync(stampFile, 'utf8').trim().split('\n')[0]!);
      out.push(Number(started - t0) / 1e6);
    }
  } finally {
    client.close();
    key.dispose();
  }
  return out;
}

/** Completed runs of `cmd args` by `clients` concurrent loops within `seconds`. */
async function processThroughput(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  clients: number,
  seconds: number,
): Promise<number> {
  const until = Date.now() + seconds * 1000;
  let done = 0;
  const loop = async (): Promise<void> => {
    while (Date.now() < until) {
      await new Promise<void>((resolve, reject) => {
        const c = spawn(cmd, args, { env, stdio: 'ignore' });
        c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
      });
      done++;
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  return done;
}

async function protocolThroughput(socket: string, cwd: string, clients: number, seconds: number): Promise<number> {
  const until = Date.now() + seconds * 1000;
  let done = 0;
  const loop = async (): Promise<void> => {
    const c = await DaemonClient.connect(socket);
    try {
      while (Date.now() < until) {
        const o = await ask(c, {
          type: 'exec',
          argv: ['true'],
          cwd,
          context: { requester: { user: 'bench' } },
          noWait: false,
        });
        if (o.outcome !== 'run') throw new Error(o.outcome);
        await ask(c, { type: 'exec_end', execId: o.execId, exitCode: 0, signal: null, durationMs: 0 });
        done++;
      }
    } finally {
      c.close();
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  return done;
}

async function countRecords(socket: string): Promise<Record<string, number>> {
  const c = await DaemonClient.connect(socket);
  const counts: Record<string, number> = {};
  let since = 0;
  try {
    for (;;) {
      const page = await ask(c, { type: 'history', sinceSeq: since, limit: 10_000 });
      const { more } = page;
      const records = page.records as { seq: number; type: string }[];
      for (const r of records) counts[r.type] = (counts[r.type] ?? 0) + 1;
      if (!more || records.length === 0) break;
      since = records[records.length - 1]!.seq;
    }
  } finally {
    c.close();
  }
  return counts;
}

export const daemonSuite: Suite = {
  name: 'daemon',
  async run() {
    const home = mkdtempSync('/tmp/gbench-');
    const bin = process.env['GUARD_BENCH_BIN'] ?? join(process.cwd(), 'bin', 'guard.js');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GUARD_HOME: join(home, 'h'),
      GUARD_APPROVER_HOME: join(home, 'keys'),
      GUARD_KEYSTORE: 'file',
      GUARD_NO_AUTOSTART: '1',
    };
    for (const k of AGENT_ENV_VARS) delete env[k];
    const policy = join(home, 'policy.yaml');
    writeFileSync(policy, POLICY);
    writeFileSync(join(home, 'pass'), 'bench passphrase for the daemon\n');
    const socket = join(home, 'h', 'run', 'guard.sock');
    const must = (args: string[]): void => {
      const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`guard ${args.join(' ')}: ${r.stderr}`);
    };
    must(['daemon', 'start', '--policy', policy]);
    try {
      must(['approver', 'enroll', '--name', 'bench', '--group', 'ops', '--passphrase-file', join(home, 'pass')]);
      const runs = Number(process.env['BENCH_RUNS'] ?? 30);
      for (let i = 0; i < 3; i++) timeCommand(process.execPath, [bin, 'exec', '--', 'true'], env);
      const r = interleaved(runs, {
        node: () => timeCommand(process.execPath, ['-e', '0']),
        version: () => timeCommand(process.execPath, [bin, '--version'], env),
        exec: () => timeCommand(process.execPath, [bin, 'exec', '--', 'true'], env),
      });
      const node = median(r['node']!);
      const version = median(r['version']!);
      const exec = median(r['exec']!);
      process.stdout.write(`overhead (warm daemon, ${runs} interleaved runs each)\n`);
      process.stdout.write(`  node -e 0                median ${fmt(node)} ms\n`);
      process.stdout.write(
        `  guard --version          median ${fmt(version)} ms   ratio ${fmt(version / node)} (CLI start-up floor)\n`,
      );
      process.stdout.write(
        `  guard exec -- true       median ${fmt(exec)} ms   ratio ${fmt(exec / node)} (target <= 1.3)\n`,
      );

      const lat = await approvalLatency(env, bin, home, socket, Math.max(10, Math.round(runs / 2)));
      process.stdout.write(`approval latency (signed approval sent -> child started), ${lat.length} runs\n`);
      process.stdout.write(
        `  p50 ${fmt(quantile(lat, 0.5))} ms   p99 ${fmt(quantile(lat, 0.99))} ms   (target p50 <= 50 ms; baseline: node -e 0 takes ${fmt(node)} ms)\n`,
      );

      const before = await countRecords(socket);
      const seconds = Number(process.env['BENCH_SECONDS'] ?? 5);
      const baseline = await processThroughput(process.execPath, ['-e', '0'], env, 32, seconds);
      const cli = await processThroughput(process.execPath, [bin, 'exec', '--', 'true'], env, 32, seconds);
      const proto = await protocolThroughput(socket, home, 32, seconds);
      const after = await countRecords(socket);
      const total = cli + proto;
      const delta = (t: string): number => (after[t] ?? 0) - (before[t] ?? 0);
      const lost =
        Math.max(0, total - delta('exec_start')) +
        Math.max(0, total - delta('exec_end')) +
        Math.max(0, total - delta('request'));
      process.stdout.write(`throughput, 32 concurrent clients, ${seconds} s each\n`);
      process.stdout.write(`  node -e 0 (baseline processes)       ${fmt(baseline / seconds, 1)} runs/s\n`);
      process.stdout.write(
        `  guard exec -- true (CLI processes)   ${fmt(cli / seconds, 1)} commands/s   ratio ${fmt(cli / Math.max(1, baseline))} of baseline\n`,
      );
      process.stdout.write(`  protocol clients (daemon capacity)   ${fmt(proto / seconds, 1)} commands/s\n`);
      process.stdout.write(
        `  ledger: ${delta('request')} request, ${delta('exec_start')} exec_start, ${delta('exec_end')} exec_end for ${total} commands; records lost: ${lost}\n`,
      );
    } finally {
      spawnSync(process.execPath, [bin, 'daemon', 'stop'], { env, stdio: 'ignore' });
      rmSync(home, { recursive: true, force: true });
    }
  },
};
