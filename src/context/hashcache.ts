import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { locateProgram, sha256File } from './program.js';
import type { Env } from './types.js';

/**
 * Optional cache of program hashes: hashing node or terraform (~100 MB) costs ~300 ms, on every
 * exec. An entry is keyed by path, device, inode, size, mtime and ctime in nanoseconds; ctime
 * cannot be set from user space, so any write to the binary or a replacement invalidates it.
 * Trust: the cache is as trustworthy as the directory holding it. In single-user mode the agent's
 * user can write it (as it can write the binary); in hardened mode keep it where only the daemon
 * writes, or do not pass a cache. See docs/decisions/0304-context-without-running-tools.md.
 */
const MAX_ENTRIES = 256;

type Cache = Record<string, string>;

async function load(file: string): Promise<Cache> {
  try {
    const data = JSON.parse(await readFile(file, 'utf8')) as unknown;
    if (data === null || typeof data !== 'object' || Array.isArray(data)) return {};
    return Object.fromEntries(
      Object.entries(data).filter(
        (e): e is [string, string] => typeof e[1] === 'string' && /^[0-9a-f]{64}$/.test(e[1]),
      ),
    );
  } catch {
    return {};
  }
}

async function save(file: string, cache: Cache): Promise<void> {
  const keys = Object.keys(cache);
  const kept = Object.fromEntries(keys.slice(Math.max(0, keys.length - MAX_ENTRIES)).map((k) => [k, cache[k]!]));
  const { randomBytes } = await import('node:crypto'); // lazily: see program.ts
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, JSON.stringify(kept), { mode: 0o600 });
    await rename(tmp, file); // atomic: concurrent exec clients never read half a file
  } catch {
    // a cache that cannot be written is only slower
  }
}

/** resolveProgram with a hash cache file; same result, never throws. */
export async function resolveProgramCached(
  file: string,
  env: Env,
  cwd: string,
  cacheFile: string,
): Promise<{ path: string; sha256: string } | undefined> {
  const found = await locateProgram(file, env, cwd);
  if (found === undefined) return undefined;
  const { path, st } = found;
  const key = [path, st.dev, st.ino, st.size, st.mtimeNs, st.ctimeNs].join('|');
  const cache = await load(cacheFile);
  const hit = cache[key];
  if (hit !== undefined) return { path, sha256: hit };
  const sha256 = await sha256File(path);
  if (sha256 === undefined) return undefined;
  // the file may have changed while it was hashed: cache only when its identity held
  const after = await stat(path, { bigint: true }).catch(() => undefined);
  if (after !== undefined && [path, after.dev, after.ino, after.size, after.mtimeNs, after.ctimeNs].join('|') === key) {
    for (const k of Object.keys(cache)) if (k.startsWith(`${path}|`)) delete cache[k];
    cache[key] = sha256;
    await save(cacheFile, cache);
  }
  return { path, sha256 };
}
