/**
 * Decisions stay identical: every line of the repository's policy corpora and of the dcg peer
 * corpus (read in place, never copied: $DCG_CORPUS or ../shared/corpora/dcg, skipped when absent)
 * is judged under the default pack and under the 1,000-rule bench policy, and each decision's
 * effect, rule ids (in order), reasons and the rest of the decision are compared with
 * fixtures/golden-decisions.tsv, written before the judge was made faster (decision 0028).
 *
 * The golden file holds no command text (the dcg corpus must not be copied): a row names the line
 * by corpus and position, with a digest of the command so a changed corpus reads as such, the
 * effect and rule ids in clear, and digests of the reasons and of the whole decision (file paths
 * cut to their base name, the policy digest left out: both differ between checkouts).
 * `GUARD_GOLDEN_WRITE=1 npx vitest run test/policy/golden.test.ts` rewrites it; only do that for a
 * change that means to alter decisions, and say so in the commit.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCorpus } from '../../bench/dcg.js';
import { generatedPolicy } from '../../bench/policy.js';
import { compilePolicy, type Decision } from '../../src/policy/index.js';
import type { CompiledPolicy } from '../../src/policy/rules/compiled.js';
import { decode, fixtureLines, sharedHarness } from './helpers.js';

const harness = sharedHarness('guard-golden-');
const GOLDEN = new URL('./fixtures/golden-decisions.tsv', import.meta.url);
const LABELS = new Set(['allow', 'approve', 'deny', 'hold']);
// the main checkout's sibling ../shared, or a worktree's ../../shared
const dcgDir =
  [process.env['DCG_CORPUS'], '../shared/corpora/dcg', '../../shared/corpora/dcg']
    .filter((d): d is string => d !== undefined)
    .map((d) => resolve(d))
    .find((d) => existsSync(join(d, 'hold.tsv'))) ?? '../shared/corpora/dcg';
const hasDcg = existsSync(join(dcgDir, 'hold.tsv'));

interface Line {
  key: string;
  command: string;
}

/** Every corpus line of test/policy/fixtures: the command column of a labelled row, else the row. */
function repoLines(): Line[] {
  const dir = new URL('./fixtures/', import.meta.url);
  const out: Line[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!/\.(tsv|txt)$/.test(f) || f.startsWith('golden-')) continue;
    fixtureLines(f).forEach((l, i) => {
      const cols = l.split('\t');
      const command = cols.length > 1 && LABELS.has(cols[0]!) ? cols[1]! : cols[0]!;
      out.push({ key: `${f}:${i}`, command: decode(command) });
    });
  }
  return out;
}

function dcgLines(): Line[] {
  return ['hold.tsv', 'allow.tsv', 'out-of-scope.tsv'].flatMap((f) =>
    readCorpus(join(dcgDir, f)).map((r, i) => ({ key: `dcg/${f}:${i}`, command: r.command })),
  );
}

const digest = (v: unknown): string => createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 12);

/** One golden row (without the key): what must not change. */
function row(command: string, d: Decision): string {
  const { policyDigest: _digest, ...rest } = d;
  const stable = {
    ...rest,
    matches: d.matches.map((m) => ({ ...m, source: { ...m.source, file: basename(m.source.file) } })),
  };
  return [
    digest(command),
    d.effect,
    d.matches.map((m) => m.ruleId).join(',') || '-',
    digest(d.reasons),
    digest(stable),
  ].join('\t');
}

function judgeAll(
  name: string,
  policy: CompiledPolicy,
  lines: Line[],
): Map<string, { line: Line; row: string; d: Decision }> {
  const h = harness();
  const ctx = { cwd: '/home/agent/project', requester: { user: 'agent', agent: 'test' } };
  const out = new Map<string, { line: Line; row: string; d: Decision }>();
  for (const line of lines) {
    const d = h.engine.evaluate({ ...ctx, argv: ['sh', '-c', line.command], shell: line.command }, policy);
    out.set(`${name}\t${line.key}`, { line, row: row(line.command, d), d });
  }
  return out;
}

function policies(): [string, CompiledPolicy][] {
  const h = harness();
  return [
    ['default', h.loaded.policy],
    ['bench1000', compilePolicy(generatedPolicy(1000), { engine: h.engine }).policy],
  ];
}

function readGolden(): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of readFileSync(GOLDEN, 'utf8').split('\n')) {
    if (l === '' || l.startsWith('#')) continue;
    const f = l.split('\t');
    m.set(`${f[0]}\t${f[1]}`, f.slice(2).join('\t'));
  }
  return m;
}

describe('decisions equal the golden file', () => {
  if (process.env['GUARD_GOLDEN_WRITE'] === '1') {
    it('writes the golden file', () => {
      expect(hasDcg, `the dcg corpus is needed to write the golden file (${dcgDir})`).toBe(true);
      const rows: string[] = [
        '# policy\tcorpus:line\tsha256(command)\teffect\trule ids\tsha256(reasons)\tsha256(decision); test/policy/golden.test.ts',
      ];
      for (const [name, policy] of policies())
        for (const [k, v] of judgeAll(name, policy, [...repoLines(), ...dcgLines()])) rows.push(`${k}\t${v.row}`);
      writeFileSync(GOLDEN, `${rows.join('\n')}\n`);
    });
    return;
  }

  const compare = (lines: () => Line[]): void => {
    const golden = readGolden();
    const diffs: string[] = [];
    let n = 0;
    for (const [name, policy] of policies())
      for (const [k, v] of judgeAll(name, policy, lines())) {
        n++;
        const want = golden.get(k);
        if (want === v.row) continue;
        diffs.push(
          `${k}: ${JSON.stringify(v.line.command)}\n  want ${want ?? '(no golden row)'}\n  got  ${v.row}\n  reasons ${JSON.stringify(v.d.reasons)}`,
        );
      }
    expect(n).toBeGreaterThan(1000);
    expect(diffs.slice(0, 20), `${diffs.length} of ${n} decisions differ`).toEqual([]);
  };

  it('for every line of the repository corpora (default pack and 1,000 rules)', () => compare(repoLines));
  it.skipIf(!hasDcg)('for every line of the dcg corpus (default pack and 1,000 rules)', () => compare(dcgLines));
  it('has a row for every line judged, and no stale rows', () => {
    const golden = readGolden();
    const keys = [...repoLines(), ...(hasDcg ? dcgLines() : [])].map((l) => l.key);
    for (const name of ['default', 'bench1000'])
      for (const k of keys) expect(golden.has(`${name}\t${k}`), k).toBe(true);
    if (hasDcg) expect(golden.size).toBe(keys.length * 2);
  });
});
