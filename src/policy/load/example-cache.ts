/**
 * Which policies have already had every rule example judged (the costly part of loading a policy:
 * hundreds of shell analyses). An entry is the SHA-256 of (guard build, Node version, policy
 * digest); the digest covers every byte of every policy file with its layer and path. The cache
 * holds verdicts only, never compiled rules: the policy itself is always compiled from its files,
 * so a forged entry can at most skip a check that only ever refuses a policy, and the daemon
 * re-judges the examples after it is ready (see PolicyHost). See docs/decisions/0005.
 *
 * The file is read leniently: anything but the exact expected shape is an empty cache.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { guardHome } from '../../config/paths.js';
import { BUILD_ID } from '../../version.js';

const FORMAT = 'guard-policy-examples/1';
/** Enough for the base policy and the project layers of a few dozen repositories. */
const MAX_ENTRIES = 64;
const KEY = /^[0-9a-f]{64}$/;

export interface ExampleCache {
  /** The cache key for a policy digest, or undefined when caching is off (no build id). */
  key(digest: string): string | undefined;
  has(key: string): boolean;
  /** Record a policy whose examples all behaved; best effort (a read-only home just skips it). */
  add(key: string): void;
  /** Forget an entry (its policy failed a re-check). */
  remove(key: string): void;
}

export function exampleCachePath(env: NodeJS.ProcessEnv): string {
  return join(guardHome(env), 'cache', 'policy-examples.json');
}

function readEntries(file: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
  if (typeof parsed !== 'object' || parsed === null) return [];
  const { format, checked } = parsed as { format?: unknown; checked?: unknown };
  if (format !== FORMAT || !Array.isArray(checked)) return [];
  return checked.filter((k): k is string => typeof k === 'string' && KEY.test(k)).slice(-MAX_ENTRIES);
}

function writeEntries(file: string, entries: string[]): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
    writeFileSync(tmp, `${JSON.stringify({ format: FORMAT, checked: entries.slice(-MAX_ENTRIES) })}\n`, {
      mode: 0o600,
    });
    renameSync(tmp, file);
  } catch {
    rmSync(tmp, { force: true });
  }
}

/** The example cache of a GUARD_HOME; `build` defaults to this build's id (none from source). */
export function openExampleCache(env: NodeJS.ProcessEnv, build: string | undefined = BUILD_ID): ExampleCache {
  const file = exampleCachePath(env);
  let entries: string[] | undefined;
  const load = (): string[] => (entries ??= readEntries(file));
  return {
    key: (digest) =>
      build === undefined
        ? undefined
        : createHash('sha256').update(`${FORMAT}\0${build}\0${process.version}\0${digest}`).digest('hex'),
    has: (key) => load().includes(key),
    add(key) {
      // re-read: another process may have added entries since
      entries = readEntries(file).filter((k) => k !== key);
      entries.push(key);
      writeEntries(file, entries);
    },
    remove(key) {
      entries = readEntries(file).filter((k) => k !== key);
      writeEntries(file, entries);
    },
  };
}
