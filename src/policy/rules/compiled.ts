import type { Glob } from './glob.js';
import type { RuleGate } from './gate.js';
import type { Matcher } from './match.js';
import type { ApprovalSettings, Effect, PolicyLayer, Risk } from '../types.js';

export interface CompiledRule {
  id: string;
  description: string;
  effect: Effect;
  risk: Risk;
  impact: string | undefined;
  /** Enforced mode: credentials the daemon's executor runs a matching command with. */
  credentials?: string[] | undefined;
  /** Enforced mode: previews that run the agent's configuration may use those credentials (decision 1096). */
  preview?: 'with_credentials' | undefined;
  controls: string[];
  approval: ApprovalSettings | undefined;
  source: { file: string; layer: PolicyLayer; line: number };
  /** Programs as written in the rule (basenames, globs or pinned absolute paths). */
  programs: string[];
  /** Pinned absolute paths: the rule applies only to these exact program paths. */
  pinned: string[] | undefined;
  /** For program globs (mkfs*): tested against every command's program. */
  programGlob: Glob | undefined;
  test: Matcher;
  /** Cheap conditions `test` needs, checked first (src/policy/rules/gate.ts); absent: always test. */
  gate?: RuleGate | undefined;
  examples: { match: { text: string; at: string }[]; noMatch: { text: string; at: string }[] };
  /** The rule's match block as written (for `guard policy show/explain`). */
  matchDoc: unknown;
}

/** A compiled policy: rules indexed by program so a decision looks at a handful of rules. */
export interface CompiledPolicy {
  digest: string;
  default: Effect;
  onUnresolved: 'approve' | 'deny';
  rules: CompiledRule[];
  byProgram: Map<string, CompiledRule[]>;
  anyProgram: CompiledRule[];
  /** Where `default` and `on_unresolved` were last set. */
  settingsSource: { default: string; onUnresolved: string };
  disabled: { id: string; file: string }[];
}

export const EFFECT_RANK: Record<Effect, number> = { allow: 0, approve: 1, deny: 2 };
export const RISK_RANK: Record<Risk, number> = { low: 0, medium: 1, high: 2, critical: 3 };

export const DEFAULT_APPROVAL: ApprovalSettings = {
  groups: [],
  quorum: 1,
  grantTtlSeconds: 15 * 60,
  grantUses: 1,
  timeoutSeconds: 60 * 60,
  fourEyes: false,
  channels: [],
};
