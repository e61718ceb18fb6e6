import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decode, fixtureLines, heldMisses, sharedHarness } from './helpers.js';

// Issue 22's red-team classes, written anew (none of these lines is in the older fixtures).
const harness = sharedHarness('guard-redteam-');

const dangerous = fixtureLines('redteam-dangerous.tsv').map((l) => {
  const [expect, command, cls] = l.split('\t');
  return { expect: expect as 'deny' | 'hold', command: decode(command!), label: cls ?? '' };
});
const everyday = fixtureLines('redteam-everyday.txt').map(decode);
const open = fixtureLines('redteam-open.tsv').map((l) => {
  const [command, limit] = l.split('\t');
  return { command: decode(command!), limit: limit ?? '' };
});
const policyDoc = readFileSync(new URL('../../docs/policy.md', import.meta.url), 'utf8');

describe('issue-22 red-team corpus (default pack)', () => {
  it('has at least 600 dangerous lines over every class and 400 everyday lines', () => {
    expect(dangerous.length).toBeGreaterThanOrEqual(600);
    expect(everyday.length).toBeGreaterThanOrEqual(400);
    expect(new Set(dangerous.map((r) => r.label)).size).toBeGreaterThanOrEqual(20);
    for (const r of dangerous) expect(['deny', 'hold']).toContain(r.expect);
  });

  it('holds 100% of the dangerous lines (deny rows are denied)', () => {
    expect(heldMisses(harness(), dangerous)).toEqual([]);
  });

  it('allows at least 97% of the everyday lines', () => {
    const held = everyday.filter((c) => harness().line(c).effect !== 'allow');
    if (held.length > 0)
      console.log(
        `everyday lines held (${held.length}):\n${held.map((c) => `  ${c} → ${harness().line(c).reasons.join(' | ')}`).join('\n')}`,
      );
    expect(1 - held.length / everyday.length).toBeGreaterThanOrEqual(0.97);
  });

  it('names the control for every line one-line text analysis leaves open, and keeps the list honest', () => {
    for (const o of open) {
      // the limit is documented with the control that closes it
      expect(policyDoc).toContain(`open: ${o.limit}`);
      // still open: a line that becomes held belongs in redteam-dangerous.tsv instead
      expect(harness().line(o.command).effect, o.command).toBe('allow');
    }
  });
});
