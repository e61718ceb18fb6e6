import { constants, createReadStream, type BigIntStats } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { Env } from './types.js';

/**
 * Largest program hashed. Real binaries are far smaller (kubectl ~50 MiB, terraform ~90 MiB);
 * above this the program is reported unresolved rather than hashed for seconds or partially:
 * the caller must then treat the binary as unbound (fail closed).
 */
export const MAX_PROGRAM_BYTES = 512 * 1024 * 1024;
/** execvp's fallback search path when PATH is unset (glibc confstr(_CS_PATH)). */
const DEFAULT_PATH = '/bin:/usr/bin';

async function executableFile(path: string): Promise<boolean> {
  try {
    const st = await stat(path);
    if (!st.isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where execvp would find `file`: a name with a slash is taken as is (relative to cwd); else PATH. */
export async function lookupProgram(file: string, env: Env, cwd: string): Promise<string | undefined> {
  if (file === '' || file.includes('\0')) return undefined;
  if (file.includes('/')) {
    const p = isAbsolute(file) ? file : resolve(cwd, file);
    return (await executableFile(p)) ? p : undefined;
  }
  const path = env['PATH'] ?? DEFAULT_PATH;
  for (const dir of path.split(delimiter)) {
    // an empty PATH entry means the current directory, as for execvp
    const p = resolve(cwd, dir === '' ? '.' : dir, file);
    if (await executableFile(p)) return isAbsolute(p) ? p : join(cwd, p);
  }
  return undefined;
}

export async function sha256File(path: string): Promise<string | undefined> {
  // loaded here, not at the top: the exec client's quick path never hashes, and loading
  // node:crypto is a measurable part of its start-up
  const { createHash } = await import('node:crypto');
  return new Promise((done) => {
    const hash = createHash('sha256');
    const stream = createReadStream(path, { highWaterMark: 1024 * 1024 });
    stream.on('data', (chunk) => hash.update(chunk));
    stream.on('error', () => done(undefined));
    stream.on('end', () => done(hash.digest('hex')));
  });
}

/** The program execvp would run and its stat (with nanosecond times), if hashable. */
export async function locateProgram(
  file: string,
  env: Env,
  cwd: string,
): Promise<{ path: string; st: BigIntStats } | undefined> {
  const path = await lookupProgram(file, env, cwd);
  if (path === undefined) return undefined;
  const st = await stat(path, { bigint: true }).catch(() => undefined);
  return st === undefined || st.size > BigInt(MAX_PROGRAM_BYTES) ? undefined : { path, st };
}

/** The absolute path of the program execvp would run and the SHA-256 of its bytes. Never throws. */
export async function resolveProgram(
  file: string,
  env: Env,
  cwd: string,
): Promise<{ path: string; sha256: string } | undefined> {
  const found = await locateProgram(file, env, cwd);
  const sha256 = found === undefined ? undefined : await sha256File(found.path);
  return found === undefined || sha256 === undefined ? undefined : { path: found.path, sha256 };
}
