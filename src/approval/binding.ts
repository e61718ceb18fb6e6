/**
 * The environment digest an approval binds (decision 0403's `envDigest`, made real in 0410):
 * every listed variable that is set (src/context/binding.ts), every variable the policy's own
 * `env` matches read (set or not), and the target the reviewer was shown (Kubernetes context and
 * namespace, AWS profile and region, gcloud project, Terraform workspace). Values arrive as
 * sha256 hashes; the digest never contains a value in the clear.
 */
import { createHash } from 'node:crypto';
import { isBoundEnvName } from '../context/binding.js';
import { canonicalize } from '../util/canonical.js';

/** Context sections that say what a command acts on; they come from env and tool config files. */
const TARGET_SECTIONS = ['kube', 'aws', 'gcloud', 'terraform'] as const;

/** Names of the variables any rule's `env` match reads. */
export function policyEnvNames(rules: readonly { matchDoc: unknown }[]): string[] {
  // a compiled policy's rules never change: the daemon asks for every command it judges
  const known = envNamesOf.get(rules);
  if (known !== undefined) return [...known];
  const names = new Set<string>();
  for (const r of rules) {
    const doc = r.matchDoc;
    if (typeof doc !== 'object' || doc === null) continue;
    const env = (doc as { env?: unknown }).env;
    if (typeof env === 'object' && env !== null) for (const k of Object.keys(env)) names.add(k);
  }
  const sorted = [...names].sort();
  envNamesOf.set(rules, sorted);
  return [...sorted];
}

const envNamesOf = new WeakMap<readonly { matchDoc: unknown }[], readonly string[]>();

export function envDigest(
  hashes: Readonly<Record<string, string>>,
  policyNames: readonly string[],
  context: Readonly<Record<string, unknown>>,
): string {
  const names = new Set([...Object.keys(hashes).filter(isBoundEnvName), ...policyNames]);
  const vars = [...names].sort().map((n) => [n, Object.hasOwn(hashes, n) ? hashes[n]! : null]);
  const shown = TARGET_SECTIONS.filter((k) => Object.hasOwn(context, k) && context[k] != null).map((k) => [
    k,
    context[k],
  ]);
  return createHash('sha256')
    .update(canonicalize({ v: 1, vars, shown }), 'utf8')
    .digest('hex');
}
