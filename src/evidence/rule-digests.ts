/**
 * Per-rule digests of a compiled policy, recorded with each policy version (`ledger_open`
 * `policy_rules`, `policy_changed` `rules`) so the evidence pack can say, from the ledger alone,
 * which rules were added, removed or changed between versions (decision 0214). A rule's digest
 * covers what decides and whom it asks (effect, risk, match, programs, approval settings,
 * description, impact, controls, layer), not where it sits in its file: moving a rule is no change.
 */
import { createHash } from 'node:crypto';
import type { CompiledPolicy } from '../policy/rules/compiled.js';
import { canonicalize } from '../util/canonical.js';

/** Plain JSON of a value as written (drops undefined; non-JSON values become their string form). */
function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v ?? null, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x))) as unknown;
}

function digestOf(v: unknown): string {
  return `sha256:${createHash('sha256')
    .update(canonicalize(plain(v)))
    .digest('hex')}`;
}

/** Rule id → digest; the settings `default` and `on_unresolved` appear as `(default)` / `(on_unresolved)`. */
export function ruleDigests(policy: CompiledPolicy): Record<string, string> {
  const out: [string, string][] = [
    ['(default)', digestOf({ default: policy.default })],
    ['(on_unresolved)', digestOf({ on_unresolved: policy.onUnresolved })],
  ];
  for (const r of policy.rules)
    out.push([
      r.id,
      digestOf({
        id: r.id,
        description: r.description,
        effect: r.effect,
        risk: r.risk,
        impact: r.impact ?? null,
        controls: r.controls,
        approval: r.approval ?? null,
        layer: r.source.layer,
        programs: r.programs,
        pinned: r.pinned ?? null,
        match: r.matchDoc ?? null,
      }),
    ]);
  // fromEntries defines own properties, so an id such as `__proto__` stays an ordinary key
  return Object.fromEntries(out);
}

export interface RuleDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

/** What changed from one version's rule digests to the next (ids sorted). */
export function diffRules(before: Record<string, string>, after: Record<string, string>): RuleDiff {
  const d: RuleDiff = { added: [], removed: [], changed: [] };
  for (const [id, h] of Object.entries(after))
    if (!Object.hasOwn(before, id)) d.added.push(id);
    else if (before[id] !== h) d.changed.push(id);
  for (const id of Object.keys(before)) if (!Object.hasOwn(after, id)) d.removed.push(id);
  for (const l of [d.added, d.removed, d.changed]) l.sort();
  return d;
}
