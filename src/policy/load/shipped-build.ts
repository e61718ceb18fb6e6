/** What scripts/build.mjs needs to write the shipped policy snapshots (see shipped.ts). */
import { isDeepStrictEqual } from 'node:util';
import { fileSchema } from './schema.js';
import { snapshotYaml, type YamlSnapshot } from './yamlpos.js';
export { textDigest } from './shipped.js';

/**
 * The snapshot of a shipped policy text, marked `checked` when the policy file schema accepts its
 * value and returns it unchanged: a load of that text then skips the schema (compile.ts). A text
 * the schema refuses, or would change, is stored unmarked and validated at every load as before.
 */
export function snapshotPolicy(text: string): YamlSnapshot | undefined {
  const snap = snapshotYaml(text);
  if (snap === undefined) return undefined;
  const parsed = fileSchema.safeParse(snap.value);
  return parsed.success && isDeepStrictEqual(parsed.data, snap.value) ? { ...snap, checked: true } : snap;
}
