/**
 * Enforced mode's executor (decision 1020), against the client running the command itself:
 * - `guard exec -- true` run by the executor vs by the client (median ratio, interleaved);
 * - bytes/s streamed through the executor (`guard exec -- cat`) vs a plain pipe (target >= 0.5x),
 *   end to end and the marginal rate (the time of 2N MiB minus that of N MiB: start-up excluded);
 * - throughput of executed commands with 32 concurrent clients (`guard exec -- true`), vs the
 *   client running them.
 * Needs root (the daemon enters the runner user `nobody` through setpriv); skipped otherwise.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_ENV_VARS } from '../src/approval/agent-env.js';
import { fmt, interleaved, median } from './lib.js';
import type { Suite } from './suites.js';

const policy = (credentials: boolean): string => `version: 1
default: allow
rules:
  - id: bench.tools
    description: bench programs${credentials ? ', run by the executor' : ''}
    effect: allow
${credentials ? '    credentials: [tok]\n' : ''}    match: { program: ['true', cat] }
`;

function time(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: 'ignore', env, cwd });
  const t = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  return t;
}

/**
 * Commands per second with `clients` concurrent `guard exec` processes, `total` commands in all,
 * and how many exited non-zero (by exit code: 70 is a daemon not reached in time).
 */
async function concurrent(
  clients: number,
  total: number,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<{ perSecond: number; failed: Record<string, number> }> {
  let next = 0;
  const failed: Record<string, number> = {};
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { stdio: 'ignore', env, cwd });
      child.once('error', reject);
      child.once('exit', (code) => {
        if (code !== 0) failed[String(code)] = (failed[String(code)] ?? 0) + 1;
        resolve();
      });
    });
  const worker = async (): Promise<void> => {
    while (next < total) {
      next++;
      await one();
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, worker));
  return { perSecond: total / ((performance.now() - t0) / 1000), failed };
}

export const enforcedSuite: Suite = {
  name: 'enforced',
  async run() {
    if (process.getuid?.() !== 0 || spawnSync('sh', ['-c', 'command -v setpriv']).status !== 0) {
      process.stdout.write('enforced: skipped (needs root and setpriv)\n');
      return;
    }
    const base = mkdtempSync('/tmp/gbench-enf-');
    chmodSync(base, 0o755); // the runner (nobody) works in it
    const bin = process.env['GUARD_BENCH_BIN'] ?? join(process.cwd(), 'bin', 'guard.js');
    const envFor = (name: string): NodeJS.ProcessEnv => {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        GUARD_HOME: join(base, name),
        GUARD_KEYSTORE: 'file',
        GUARD_NO_AUTOSTART: '1',
        GUARD_RUNNER_USER: 'nobody',
      };
      for (const k of AGENT_ENV_VARS) delete env[k];
      return env;
    };
    const client = envFor('client');
    const executor = envFor('executor');
    const must = (env: NodeJS.ProcessEnv, args: string[]): void => {
      const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', cwd: base });
      if (r.status !== 0) throw new Error(`guard ${args.join(' ')}: ${r.stderr}`);
    };
    writeFileSync(join(base, 'client.yaml'), policy(false));
    writeFileSync(join(base, 'executor.yaml'), policy(true));
    writeFileSync(join(base, 'tok'), 'bench-token');
    must(client, ['daemon', 'start', '--policy', join(base, 'client.yaml')]);
    must(executor, ['daemon', 'start', '--policy', join(base, 'executor.yaml')]);
    try {
      must(executor, ['credential', 'add', 'tok', '--env', 'TOKEN', '--from-file', join(base, 'tok')]);
      const runs = Number(process.env['BENCH_RUNS'] ?? 30);
      const exec = (env: NodeJS.ProcessEnv) => () => time(process.execPath, [bin, 'exec', '--', 'true'], env, base);
      for (let i = 0; i < 3; i++) {
        exec(client)();
        exec(executor)();
      }
      const r = interleaved(runs, { client: exec(client), executor: exec(executor) });
      const c = median(r['client']!);
      const e = median(r['executor']!);
      process.stdout.write(`executor overhead (warm daemons, ${runs} interleaved runs each)\n`);
      process.stdout.write(`  guard exec -- true, client runs it     median ${fmt(c)} ms\n`);
      process.stdout.write(`  guard exec -- true, executor runs it   median ${fmt(e)} ms   ratio ${fmt(e / c)}\n`);

      // large enough that `guard exec`'s start-up (about a second under load) does not decide the ratio
      const mib = Number(process.env['BENCH_MIB'] ?? 256);
      const pipe = (inner: string) => () =>
        time('sh', ['-c', `head -c ${mib}M /dev/zero | ${inner} > /dev/null`], executor, base);
      const s = interleaved(3, {
        plain: pipe('cat'),
        executor: pipe(`${process.execPath} ${bin} exec -- cat`),
      });
      const plain = (mib * 1024 * 1024) / (median(s['plain']!) / 1000);
      const through = (mib * 1024 * 1024) / (median(s['executor']!) / 1000);
      process.stdout.write(`streaming ${mib} MiB through stdin and stdout\n`);
      process.stdout.write(`  plain pipe (cat)                       ${fmt(plain / 1048576, 1)} MiB/s\n`);
      process.stdout.write(
        `  guard exec -- cat via the executor     ${fmt(through / 1048576, 1)} MiB/s   ratio ${fmt(through / plain)} (target >= 0.5)\n`,
      );
      // the marginal rate: what another N MiB costs once the command runs (start-up excluded)
      const twice = interleaved(3, {
        plain: () => time('sh', ['-c', `head -c ${2 * mib}M /dev/zero | cat > /dev/null`], executor, base),
        executor: () =>
          time(
            'sh',
            ['-c', `head -c ${2 * mib}M /dev/zero | ${process.execPath} ${bin} exec -- cat > /dev/null`],
            executor,
            base,
          ),
      });
      const margin = (k: string): number =>
        (mib * 1024 * 1024) / (Math.max(1, median(twice[k]!) - median(s[k]!)) / 1000);
      process.stdout.write(
        `  marginal (${2 * mib} MiB minus ${mib} MiB)    plain ${fmt(margin('plain') / 1048576, 1)} MiB/s, executor ${fmt(margin('executor') / 1048576, 1)} MiB/s   ratio ${fmt(margin('executor') / margin('plain'))}\n`,
      );

      const clients = Number(process.env['BENCH_CLIENTS'] ?? 32);
      const total = Number(process.env['BENCH_TOTAL'] ?? 4 * clients);
      const tput = (env: NodeJS.ProcessEnv) =>
        concurrent(clients, total, process.execPath, [bin, 'exec', '--', 'true'], env, base);
      const tc = await tput(client);
      const te = await tput(executor);
      process.stdout.write(`throughput, ${clients} concurrent clients, ${total} commands each way\n`);
      const failures = (f: Record<string, number>): string =>
        Object.entries(f)
          .map(([code, n]) => `   ${n} failed with exit ${code}`)
          .join('');
      process.stdout.write(
        `  guard exec -- true, client runs it     ${fmt(tc.perSecond, 1)} commands/s${failures(tc.failed)}\n`,
      );
      process.stdout.write(
        `  guard exec -- true, executor runs it   ${fmt(te.perSecond, 1)} commands/s   ratio ${fmt(te.perSecond / tc.perSecond)}${failures(te.failed)}\n`,
      );
    } finally {
      for (const env of [client, executor])
        spawnSync(process.execPath, [bin, 'daemon', 'stop'], { env, stdio: 'ignore' });
      rmSync(base, { recursive: true, force: true });
    }
  },
};
