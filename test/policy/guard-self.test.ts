/**
 * The red-team corpus for guard itself (issue 22, decision 0122): every line is held (deny rows
 * denied) under the default pack, and the everyday lines next to those rules stay allowed (≥ 97 %).
 */
import { describe, expect, it } from 'vitest';
import { decode, fixtureLines, heldMisses, sharedHarness } from './helpers.js';

const h = sharedHarness('guard-self-');

const attacks = fixtureLines('guard-self.tsv').map((l) => {
  const [expect, command, trick] = l.split('\t');
  return { expect: expect as 'deny' | 'hold', command: decode(command!), label: trick ?? '' };
});
const everyday = fixtureLines('guard-self-everyday.txt').map(decode);

describe('guard itself under the default pack', () => {
  it('holds every attack line (deny rows denied)', () => {
    expect(attacks.length).toBeGreaterThanOrEqual(100);
    expect(heldMisses(h(), attacks)).toEqual([]);
  });

  it('allows the everyday lines next to those rules', () => {
    const held = everyday.filter((c) => h().line(c).effect !== 'allow');
    const report = held.map((c) => `${c} → ${h().line(c).reasons.join(' | ')}`);
    expect(1 - held.length / everyday.length, report.join('\n')).toBeGreaterThanOrEqual(0.97);
  });
});
