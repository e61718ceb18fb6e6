/**
 * The remembered rule lookups (src/policy/rules/lookup.ts) must answer exactly what the plain
 * computation answers — the same rules, in the same order — for every program name the corpora
 * produce, cold and warm, and after the memory starts again. Decisions read the policy only
 * through these answers, so equal answers mean equal decisions.
 */
import { describe, expect, it } from 'vitest';
import { candidatesOf, interestingOf, LOOKUP_MEMO_MAX, ruleLookup, unknownOf } from '../../src/policy/rules/lookup.js';
import type { CompiledPolicy } from '../../src/policy/rules/compiled.js';
import { corpusLines, sharedHarness } from './helpers.js';

const harness = sharedHarness('guard-lookup-');

/** Every program the analysis finds in the fixture corpora, every word of them, and edge cases. */
function names(policy: CompiledPolicy): string[] {
  const h = harness();
  const lines = corpusLines();
  const out = new Set<string>();
  for (const l of lines) {
    for (const c of h.line(l).commands) if (c.program !== undefined) out.add(c.program);
    for (const w of l.split(/\s+/)) out.add(w);
  }
  for (const r of policy.rules) for (const p of r.programs) out.add(p);
  // names only a glob rule holds, wrappers, and names no rule knows
  for (const n of ['mkfs.ext4', 'newfs_msdos', 'python3.12', 'git-credential-store', 'lua5.4', 'sudo', 'env'])
    out.add(n);
  for (const n of ['', '*', 'zz-no-such-tool', '../x', 'a b', 'constructor', '__proto__']) out.add(n);
  return [...out];
}

function expectSame(policy: CompiledPolicy, name: string): void {
  const l = ruleLookup(policy);
  const want = candidatesOf(policy, name);
  const got = l.candidates(name);
  expect(got.length, name).toBe(want.length);
  got.forEach((r, i) => expect(r, `${name} #${i}`).toBe(want[i]));
  expect(l.interesting(name), name).toBe(interestingOf(policy, name));
  expect(l.unknown(name), name).toBe(unknownOf(policy, name));
}

describe('remembered rule lookups', () => {
  it('answer as the plain computation for every name of the corpora, cold and warm', () => {
    const policy = harness().loaded.policy;
    const all = names(policy);
    expect(all.length).toBeGreaterThan(1000);
    // the default pack has glob and `*` rules: the lookups must merge them in policy order
    expect(policy.anyProgram.length).toBeGreaterThan(0);
    expect(all.some((n) => candidatesOf(policy, n).length > 1)).toBe(true);
    for (const n of all) expectSame(policy, n);
    for (const n of [...all].reverse()) expectSame(policy, n);
  });

  it('still answer right once the memory started again, and per policy', () => {
    const policy = harness().loaded.policy;
    for (let i = 0; i < LOOKUP_MEMO_MAX + 10; i++) expectSame(policy, `tool${i}`);
    for (const n of ['rm', 'git', 'mkfs.ext4', 'tool3']) expectSame(policy, n);
    // another compiled policy (one rule fewer) has its own answers
    const other: CompiledPolicy = {
      ...policy,
      byProgram: new Map([...policy.byProgram].map(([k, v]) => [k, v.slice(1)])),
      anyProgram: policy.anyProgram.slice(1),
    };
    expect(ruleLookup(other).candidates('rm')).toEqual(candidatesOf(other, 'rm'));
    expect(ruleLookup(other).candidates('rm')).not.toEqual(ruleLookup(policy).candidates('rm'));
  });
});
