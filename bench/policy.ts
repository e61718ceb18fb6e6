/**
 * Policy engine throughput: decisions per second and p50/p99 per decision (shell parse included)
 * for a generated 1,000-rule policy over a mixed corpus (the bypass corpus and everyday lines),
 * against the bare tree-sitter parse of the same lines measured in the same run.
 * On a shared machine compare code by "each line's best" from alternating runs, and profile with
 * `node --cpu-prof` on a bundle of this file (docs/decisions/0029: where a decision's time goes).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Language, Parser } from 'web-tree-sitter';
import { compilePolicy, createEngine, shippedPolicyDir, type PolicyDoc } from '../src/policy/index.js';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fmt, quantile } from './lib.js';
import type { Suite } from './suites.js';

const PROGRAMS = ['git', 'kubectl', 'aws', 'rm', 'terraform', 'docker', 'npm', 'gcloud', 'psql', 'helm'];

/** A synthetic policy: the shipped pack plus generated rules up to `total`, spread over real and fake programs. */
export function generatedPolicy(total: number): PolicyDoc[] {
  const dir = shippedPolicyDir();
  if (dir === undefined) throw new Error('policies/ not found');
  const docs: PolicyDoc[] = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => ({ file: join(dir, f), layer: 'default' as const, text: readFileSync(join(dir, f), 'utf8') }));
  const shipped = docs.reduce((n, d) => n + (d.text.match(/^ {2}- id:/gm)?.length ?? 0), 0);
  const lines = ['version: 1', 'rules:'];
  for (let i = 0; i < total - shipped; i++) {
    const program = i % 3 === 0 ? PROGRAMS[i % PROGRAMS.length]! : `tool${i % 300}`;
    const effect = ['approve', 'deny', 'allow'][i % 3]!;
    lines.push(
      `  - id: gen.r${i}`,
      `    description: generated rule ${i}`,
      `    effect: ${effect}`,
      '    match:',
      `      program: ${program}`,
    );
    if (i % 2 === 0) lines.push(`      subcommand: 'sub${i % 40}|other${i % 7}'`);
    if (i % 5 === 0) lines.push(`      flags: ['--flag${i % 11}|-${'abcdefghij'[i % 10]!}']`);
    if (i % 7 === 0) lines.push(`      any_arg: ['*.prod${i % 13}', 'target-${i}']`);
    if (i % 11 === 0) lines.push(`      text: 'needle${i}\\b'`);
  }
  docs.push({ file: 'generated.yaml', layer: 'user', text: `${lines.join('\n')}\n` });
  return docs;
}

function corpus(): string[] {
  const read = (f: string): string[] =>
    readFileSync(join(process.cwd(), 'test', 'policy', 'fixtures', f), 'utf8')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'));
  const decode = (s: string): string =>
    s.replace(/\\([nt\\])/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : '\\'));
  return [...read('dangerous.tsv').map((l) => decode(l.split('\t')[1]!)), ...read('everyday.txt').map(decode)];
}

export const policySuite: Suite = {
  name: 'policy',
  async run() {
    const engine = await createEngine();
    const { policy } = compilePolicy(generatedPolicy(1000), { engine });
    await Parser.init();
    const parser = new Parser();
    parser.setLanguage(
      await Language.load(createRequire(import.meta.url).resolve('tree-sitter-bash/tree-sitter-bash.wasm')),
    );
    const lines = corpus();
    const rounds = Number(process.env['BENCH_ROUNDS'] ?? 20);
    const ctx = { cwd: '/home/agent/project', requester: { user: 'agent' } };
    const decide = (l: string): void => void engine.evaluate({ ...ctx, argv: ['sh', '-c', l], shell: l }, policy);
    const parse = (l: string): void => parser.parse(l)?.delete();
    // warm up (JIT): the daemon is long-lived, a cold first call is not what agents see
    for (let r = 0; r < 5; r++)
      for (const l of lines) {
        decide(l);
        parse(l);
      }
    // Two passes per round, each over every line. Back to back: the judge alone. After a system call:
    // each decision follows a getrusage() (which also gives its CPU time, µs resolution), as in the
    // daemon every decision follows the socket read of its request; on this machine a system call
    // leaves the next few microseconds of work slower (caches, branch predictors), which the back
    // to back pass does not see. The bare parse has its own pass: timed just before each decision (as
    // this suite once did), it left the judge the caches the parser had evicted.
    const tDecide: number[] = [];
    const tAfter: number[] = [];
    const tParse: number[] = [];
    // CPU time of this process per call: on a shared, loaded machine wall-clock tails measure the
    // other tenants' work, not ours. Both are reported.
    const cDecide: number[] = [];
    // each line's fastest decision over the rounds: what the judge costs when no other tenant runs
    const best = lines.map(() => Infinity);
    const cpu = (): number => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    for (let r = 0; r < rounds; r++) {
      lines.forEach((l, i) => {
        const t0 = performance.now();
        decide(l);
        const t = performance.now() - t0;
        tDecide.push(t);
        if (t < best[i]!) best[i] = t;
      });
      for (const l of lines) {
        const c0 = cpu();
        const t0 = performance.now();
        decide(l);
        tAfter.push(performance.now() - t0);
        cDecide.push(cpu() - c0);
      }
      for (const l of lines) {
        const t0 = performance.now();
        parse(l);
        tParse.push(performance.now() - t0);
      }
    }
    const us = (ms: number): string => `${fmt(ms * 1000, 1)} µs`;
    const total = tDecide.reduce((a, b) => a + b, 0);
    const p50 = quantile(tDecide, 0.5);
    const p99 = quantile(tDecide, 0.99);
    const pp50 = quantile(tParse, 0.5);
    const pp99 = quantile(tParse, 0.99);
    process.stdout.write(
      `rules: ${policy.rules.length}, corpus lines: ${lines.length}, decisions: ${tDecide.length}\n`,
    );
    process.stdout.write(`decisions/s: ${fmt(tDecide.length / (total / 1000), 0)}\n`);
    process.stdout.write(
      `decision (parse included), back to back  p50 ${us(p50)}  p99 ${us(p99)}   (target p50 ≤ 50 µs, p99 ≤ 500 µs)\n`,
    );
    process.stdout.write(
      `decision after a system call p50 ${us(quantile(tAfter, 0.5))}  p99 ${us(quantile(tAfter, 0.99))}   (as in the daemon)\n`,
    );
    process.stdout.write(
      `decision, each line's best p50 ${us(quantile(best, 0.5))}  p99 ${us(quantile(best, 0.99))}   (over ${rounds} rounds)\n`,
    );
    process.stdout.write(`bare tree-sitter parse     p50 ${us(pp50)}  p99 ${us(pp99)}\n`);
    process.stdout.write(`ratio decision/parse: p50 ${fmt(p50 / pp50)}  p99 ${fmt(p99 / pp99)}\n`);
    process.stdout.write(
      `decision CPU time          p50 ${us(quantile(cDecide, 0.5))}  p99 ${us(quantile(cDecide, 0.99))}   (load average ${loadavg()[0]!.toFixed(2)} on ${cpus().length} cores)\n`,
    );
  },
};

if (process.argv[1]?.endsWith(`bench/${'policy'}.ts`) === true) await policySuite.run();
