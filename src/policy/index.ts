/**
 * The policy engine: shell-aware matching of commands against layered YAML rules.
 * Pure core (compilePolicy, Engine.evaluate); loadPolicy is the I/O edge.
 */
export * from './types.js';
export type { CompiledPolicy, CompiledRule } from './rules/compiled.js';
export { compilePolicy, policyDigest, type PolicyDoc } from './load/compile.js';
export { openExampleCache, type ExampleCache } from './load/example-cache.js';
export { checkExamplesInTurns } from './load/check-examples.js';
export { createEngine, failedDecision, type Engine } from './engine.js';
export { PolicyLoadError } from './errors.js';
export { loadPolicy, projectPolicyDirs, SYSTEM_POLICY_DIR } from './load/load-policy.js';
export { shippedPolicyDir } from './load/locate.js';
export {
  evaluateWithScripts,
  readScript,
  scriptBinding,
  scriptContext,
  scriptsChanged,
  MAX_SCRIPT_BYTES,
} from './script-read.js';

import type { CompiledPolicy } from './rules/compiled.js';
import type { PolicyDoc } from './load/compile.js';

export interface LoadedPolicy {
  policy: CompiledPolicy;
  digest: string;
  warnings: string[];
  /**
   * Loosenings that were ignored because their file is not signed by an approver (a subset of
   * warnings): recorded by the daemon and reported by `guard doctor`.
   */
  loosenings: string[];
  /** Every file read, for watching. */
  files: string[];
  /** The texts compiled: the judge worker compiles the same policy from them (src/daemon/judge-pool.ts). */
  docs?: PolicyDoc[];
  /**
   * Set when the rule examples were not judged because the example cache vouched for this digest;
   * the daemon judges them again once it serves (PolicyHost).
   */
  examplesUnchecked?: true;
}
