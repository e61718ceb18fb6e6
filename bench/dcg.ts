/**
 * External check against the dcg peer corpus (never copied into this repository):
 *   node scripts/run-ts.mjs bench/dcg.ts /work/shared/corpora/dcg
 * As a suite (`bench/run.ts dcg`) it reads $DCG_CORPUS or ../shared/corpora/dcg and skips when absent.
 * Reports the held rate on hold.tsv, the allowed rate on allow.tsv and out-of-scope statistics, and
 * prints every disagreement.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createEngine, loadPolicy, type Decision } from '../src/policy/index.js';
import type { Suite } from './suites.js';

interface Row {
  expect: string;
  command: string;
  notes: string;
}

/** TAB-split, no quoting; decode \n and \t only where the notes say so (SOURCE.md). */
export function readCorpus(file: string): Row[] {
  const lines = readFileSync(file, 'utf8').split('\n').slice(1);
  const rows: Row[] = [];
  for (const line of lines) {
    if (line === '') continue;
    const f = line.split('\t');
    const notes = f[f.length - 1] ?? '';
    let command = f[1] ?? '';
    if (/newline(s|\(s\))? written as \\n/.test(notes)) command = command.replace(/\\n/g, '\n');
    if (/tab(s|\(s\))? written as \\t/.test(notes)) command = command.replace(/\\t/g, '\t');
    rows.push({ expect: f[0] ?? '', command, notes });
  }
  return rows;
}

export async function runDcg(
  dir: string,
  out: NodeJS.WritableStream = process.stdout,
): Promise<{ held: number; holdTotal: number; allowed: number; allowTotal: number }> {
  const engine = await createEngine();
  const home = mkdtempSync(join(tmpdir(), 'guard-dcg-'));
  const { policy } = await loadPolicy({
    env: { GUARD_HOME: home, GUARD_SYSTEM_POLICIES: join(home, 'none') },
    cwd: home,
    engine,
  });
  const judge = (command: string): Decision =>
    engine.evaluate(
      { argv: ['sh', '-c', command], shell: command, cwd: '/home/agent/project', requester: { user: 'agent' } },
      policy,
    );
  const show = (s: string): string => JSON.stringify(s);
  const hold = readCorpus(join(dir, 'hold.tsv'));
  const allow = readCorpus(join(dir, 'allow.tsv'));
  const oos = readCorpus(join(dir, 'out-of-scope.tsv'));
  let held = 0;
  out.write(`\nhold.tsv disagreements (guard allowed):\n`);
  for (const r of hold) {
    const d = judge(r.command);
    if (d.effect !== 'allow') held++;
    else out.write(`  allow  ${show(r.command)}\n`);
  }
  let allowed = 0;
  out.write(`\nallow.tsv disagreements (guard held):\n`);
  for (const r of allow) {
    const d = judge(r.command);
    if (d.effect === 'allow') allowed++;
    else out.write(`  ${d.effect.padEnd(7)} ${show(r.command)}  — ${d.reasons[0] ?? ''}\n`);
  }
  const stats: Record<string, Record<string, number>> = {};
  for (const r of oos) {
    const e = judge(r.command).effect;
    stats[r.expect] ??= {};
    stats[r.expect]![e] = (stats[r.expect]![e] ?? 0) + 1;
  }
  const pct = (a: number, b: number): string => `${((100 * a) / Math.max(1, b)).toFixed(1)}%`;
  out.write(`\nhold.tsv:  held ${held}/${hold.length} (${pct(held, hold.length)})\n`);
  out.write(`allow.tsv: allowed ${allowed}/${allow.length} (${pct(allowed, allow.length)})\n`);
  out.write(`out-of-scope.tsv (dcg expectation → guard effect): ${JSON.stringify(stats)}\n`);
  return { held, holdTotal: hold.length, allowed, allowTotal: allow.length };
}

export const dcgSuite: Suite = {
  name: 'dcg',
  async run() {
    const dir = process.env['DCG_CORPUS'] ?? resolve(process.cwd(), '..', 'shared', 'corpora', 'dcg');
    if (!existsSync(join(dir, 'hold.tsv'))) {
      process.stdout.write(`dcg corpus not found at ${dir} (set DCG_CORPUS); skipped\n`);
      return;
    }
    await runDcg(dir);
  },
};

// CLI: node scripts/run-ts.mjs bench/dcg.ts <corpus-dir>
if (process.argv[1]?.endsWith(`${'dcg'}.ts`) === true && process.argv[2] !== undefined) {
  await runDcg(resolve(process.argv[2]));
}
