/**
 * The build's snapshots of the shipped policy files (decision 0041): a text the policy schema
 * accepts unchanged is marked `checked`, and a load of that exact text skips the schema; any
 * other text is stored unmarked and validated at every load.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { snapshotPolicy } from '../../src/policy/load/shipped-build.js';

describe('shipped policy snapshots (decision 0041)', () => {
  it('every shipped policy file is snapshotted as checked by the schema', () => {
    const names = readdirSync('policies').filter((n) => /\.ya?ml$/.test(n));
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) expect(snapshotPolicy(readFileSync(`policies/${n}`, 'utf8'))?.checked, n).toBe(true);
  });

  it('a text the schema refuses is snapshotted unchecked, so a load still validates it', () => {
    const unknownKey =
      'version: 1\nrules:\n  - id: a\n    description: d\n    effect: deny\n    match: { program: rm }\n    tpyo: 1\n';
    const wrongType = 'version: 1\ndefault: maybe\n';
    for (const text of [unknownKey, wrongType]) {
      const snap = snapshotPolicy(text);
      expect(snap).toBeDefined();
      expect(snap!.checked).toBeUndefined();
    }
  });
});
