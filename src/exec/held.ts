/**
 * The program of a held command, opened once: the digest the approval binds is taken from the
 * open descriptor, and the command later runs from that same descriptor, so a file swapped in
 * under the same name while the request waits is never the one that runs.
 * See docs/decisions/0411-run-the-hashed-program.md.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { constants, type BigIntStats } from 'node:fs';
import { lookupProgram, MAX_PROGRAM_BYTES } from '../context/program.js';
import type { Env } from '../context/types.js';
import { FailClosedError, NotApprovedError } from '../errors.js';

export interface HeldProgram {
  /** Absolute path where the program was found (as execvp would). */
  path: string;
  sha256: string;
  /** Starts with `#!`: the kernel hands the path, not the descriptor, to the interpreter. */
  script: boolean;
  /** The open file; the child execs /proc/self/fd/N, which is this very file. */
  handle: FileHandle;
  /** device, inode, size, mtime and ctime (ns) when hashed. */
  ident: string;
}

const identOf = (st: BigIntStats): string => [st.dev, st.ino, st.size, st.mtimeNs, st.ctimeNs].join('|');

/** sha256 of the open file's bytes, read through the descriptor, and its first two bytes. */
async function hashHandle(handle: FileHandle): Promise<{ sha256: string; head: string }> {
  const { createHash } = await import('node:crypto'); // lazily: the quick exec path never hashes
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(1024 * 1024);
  let head = '';
  for (let pos = 0; ;) {
    const { bytesRead } = await handle.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) break;
    if (pos === 0) head = buf.subarray(0, Math.min(2, bytesRead)).toString('latin1');
    hash.update(buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
  return { sha256: hash.digest('hex'), head };
}

/**
 * Find the program as execvp would, open it, and hash it through the descriptor. Undefined when
 * there is no such program; throws when it cannot be bound (too large, changed while hashed).
 */
export async function holdProgram(file: string, env: Env, cwd: string): Promise<HeldProgram | undefined> {
  const path = await lookupProgram(file, env, cwd);
  if (path === undefined) return undefined;
  // O_NONBLOCK: a FIFO planted under the program's name must not hang the client
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK).catch(() => undefined);
  if (handle === undefined) return undefined;
  try {
    const before = await handle.stat({ bigint: true });
    if (!before.isFile()) throw new FailClosedError(`${path} is not a regular file; nothing was run`);
    if (before.size > BigInt(MAX_PROGRAM_BYTES))
      throw new FailClosedError(`${path} is too large to bind an approval to (over 512 MiB); nothing was run`);
    const { sha256, head } = await hashHandle(handle);
    const ident = identOf(before);
    if (identOf(await handle.stat({ bigint: true })) !== ident)
      throw new FailClosedError(`${path} changed while it was being hashed; nothing was run`);
    return { path, sha256, script: head === '#!', handle, ident };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/**
 * Just before running: the held file still has the bytes that were hashed (it is hashed again
 * when its inode changed at all: a write through another descriptor, or only a rename or unlink,
 * which change ctime), and for a script the path still names that file (the interpreter opens
 * the path, not the descriptor).
 */
export async function checkHeld(p: HeldProgram): Promise<void> {
  const now = await p.handle.stat({ bigint: true });
  if (identOf(now) !== p.ident && (await hashHandle(p.handle)).sha256 !== p.sha256)
    throw new NotApprovedError(`${p.path} was modified after it was hashed for approval; nothing was run`, {
      hint: 'run the command again to ask for approval of the program as it is now',
    });
  if (!p.script) return;
  const named = await stat(p.path, { bigint: true }).catch(() => undefined);
  if (named === undefined || named.dev !== now.dev || named.ino !== now.ino)
    throw new NotApprovedError(`${p.path} was replaced after it was hashed for approval; nothing was run`, {
      hint: 'run the command again to ask for approval of the program as it is now',
    });
}
