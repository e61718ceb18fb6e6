import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decode, defaultHarness, fixtureLines, heldMisses, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await defaultHarness(mkdtempSync(join(tmpdir(), 'guard-policy-')));
});

const dangerous = fixtureLines('dangerous.tsv').map((l) => {
  const [expect, command, trick] = l.split('\t');
  return { expect: expect as 'deny' | 'hold', command: decode(command!), trick: trick ?? '' };
});
const everyday = fixtureLines('everyday.txt').map(decode);

describe('bypass corpus (default pack)', () => {
  it('has at least 200 dangerous and 200 everyday lines', () => {
    expect(dangerous.length).toBeGreaterThanOrEqual(200);
    expect(everyday.length).toBeGreaterThanOrEqual(200);
  });

  it('holds 100% of the dangerous lines (deny rows are denied)', () => {
    expect(
      heldMisses(
        h,
        dangerous.map((r) => ({ ...r, label: r.trick })),
      ),
    ).toEqual([]);
  });

  it('allows at least 97% of the everyday lines', () => {
    const held = everyday.filter((c) => h.line(c).effect !== 'allow');
    const rate = 1 - held.length / everyday.length;
    if (held.length > 0)
      console.log(
        `everyday lines held (${held.length}):\n${held.map((c) => `  ${c} → ${h.line(c).reasons.join(' | ')}`).join('\n')}`,
      );
    expect(rate).toBeGreaterThanOrEqual(0.97);
  });

  it('judges the same dangerous command given as argv without a shell', () => {
    expect(h.argv(['kubectl', 'delete', 'ns', 'x']).effect).toBe('approve');
    expect(h.argv(['bash', '-c', 'ls && rm -rf /']).effect).toBe('deny');
    expect(h.argv(['sudo', '-u', 'root', 'env', 'A=1', 'rm', '-rf', '/srv/app']).effect).toBe('approve');
    expect(h.argv(['ls', '-la']).effect).toBe('allow');
  });
});
