/**
 * Which rules a command's program may meet, and what the shell analysis asks of the policy about a
 * program name, remembered per compiled policy. A compiled policy never changes (a reload compiles
 * a new one), and each answer depends only on the policy and the name, so a remembered answer is
 * the answer: the daemon stops filtering every glob rule and every rule of a program again for
 * each command it judges. Names come from the commands judged, so each memory is bounded.
 * test/policy/lookup.test.ts compares every answer with the plain computation.
 */
import { unwraps } from '../shell/resolve.js';
import type { CompiledPolicy, CompiledRule } from './compiled.js';

/** Names remembered per question and policy; past this the memory starts again. */
export const LOOKUP_MEMO_MAX = 4096;

export interface RuleLookup {
  /** The rules whose program is `program`, then the glob and `*` rules matching it, in policy order. */
  candidates: (program: string) => readonly CompiledRule[];
  /** Some rule that is not `allow` may hold this program (or it wraps other commands). */
  interesting: (name: string) => boolean;
  /** No rule allows it as everyday work, and it is no wrapper guard knows. */
  unknown: (name: string) => boolean;
}

/** The plain computations (what each lookup remembers). */
export function candidatesOf(policy: CompiledPolicy, program: string): CompiledRule[] {
  const exact = policy.byProgram.get(program);
  if (policy.anyProgram.length === 0) return exact ?? [];
  const globbed = policy.anyProgram.filter((r) => r.programGlob!(program));
  return exact ? [...exact, ...globbed] : globbed;
}

export function interestingOf(policy: CompiledPolicy, name: string): boolean {
  if (unwraps(name) || (policy.byProgram.get(name)?.some((r) => r.effect !== 'allow') ?? false)) return true;
  return policy.anyProgram.some((r) => r.effect !== 'allow' && !r.programs.includes('*') && r.programGlob!(name));
}

export function unknownOf(policy: CompiledPolicy, name: string): boolean {
  return !(policy.byProgram.get(name)?.some((r) => r.effect === 'allow') ?? false) && !unwraps(name);
}

function memo<T>(compute: (name: string) => T): (name: string) => T {
  const seen = new Map<string, T>();
  return (name) => {
    const hit = seen.get(name);
    if (hit !== undefined || seen.has(name)) return hit as T;
    const v = compute(name);
    if (seen.size >= LOOKUP_MEMO_MAX) seen.clear();
    seen.set(name, v);
    return v;
  };
}

const lookups = new WeakMap<CompiledPolicy, RuleLookup>();

export function ruleLookup(policy: CompiledPolicy): RuleLookup {
  let l = lookups.get(policy);
  if (l === undefined) {
    l = {
      candidates: memo((p) => candidatesOf(policy, p)),
      interesting: memo((n) => interestingOf(policy, n)),
      unknown: memo((n) => unknownOf(policy, n)),
    };
    lookups.set(policy, l);
  }
  return l;
}
