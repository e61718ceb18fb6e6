/**
 * The user policy layer `guard init` installs: GUARD_HOME/policies/local.yaml, never overwritten.
 * The shipped pack is not copied (see docs/decisions/0801-init-user-policy.md): it is always
 * loaded from the installed guard, so upgrades reach users, and copies would double every load.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { guardPaths } from '../../config/paths.js';
import type { Check } from './check.js';

export const STARTER_POLICY = `# Your guard policy layer. guard loads, in order: the rules shipped with guard (kept up to date
# by upgrades; \`guard policy show\` lists them), /etc/guard/policies, this directory, then a
# project's .guard/ directory (which may only tighten). Later layers override earlier ones:
# a rule with the id of a shipped rule replaces it; \`disable\` turns shipped rules off.
# Check your changes with \`guard policy lint\`; the daemon reloads them on save.
version: 1
# default: allow          # what happens to commands no rule matches (allow | approve | deny)
# on_unresolved: approve  # what guard cannot read statically (approve | deny; never allow)
# disable: [git.reset-hard]
rules: []
#  - id: local.prod-db
#    description: Anything touching the production database host
#    effect: approve
#    match:
#      program: psql
#      any_arg: ['*prod-db*']
#    approval: { quorum: 1, timeout: 30m }
#    examples:
#      match: ['psql -h prod-db.internal -c "select 1"']
`;

export function installStarterPolicy(env: NodeJS.ProcessEnv): Check {
  const dir = guardPaths(env).policyDir;
  const file = join(dir, 'local.yaml');
  if (existsSync(file)) return { name: 'policy', status: 'ok', detail: `kept your ${file}` };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(file, STARTER_POLICY, { mode: 0o600, flag: 'wx' });
  return { name: 'policy', status: 'ok', detail: `wrote ${file} (your layer over the shipped rules)` };
}
