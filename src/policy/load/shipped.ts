/**
 * Parsed forms of the shipped policy files, made by the build (scripts/build.mjs writes
 * dist/policy-snapshots.json next to the bundle). Looked up by the SHA-256 of a file's text, so
 * a file edited after the build, or any file not shipped, is parsed as usual. The snapshot file
 * is part of the installed code, as trusted as the code; it never lives in GUARD_HOME.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { YamlSnapshot } from './yamlpos.js';

export const SNAPSHOT_FILE = 'policy-snapshots.json';

let snapshots: Map<string, YamlSnapshot> | undefined;

function load(): Map<string, YamlSnapshot> {
  try {
    const parsed = JSON.parse(readFileSync(new URL(`./${SNAPSHOT_FILE}`, import.meta.url), 'utf8')) as Record<
      string,
      YamlSnapshot
    >;
    return new Map(Object.entries(parsed));
  } catch {
    return new Map(); // running from source, or no snapshot shipped: parse everything
  }
}

export function textDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The build's parse of this exact text, if it is a shipped policy file. */
export function shippedSnapshot(text: string): YamlSnapshot | undefined {
  snapshots ??= load();
  return snapshots.size === 0 ? undefined : snapshots.get(textDigest(text));
}
