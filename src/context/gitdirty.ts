import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * "Dirty" without running git: read the index (v2/v3) and compare each tracked file's size and
 * mtime with the working tree, stopping at the first difference. Staged-but-uncommitted changes
 * and new untracked files are not seen; see docs/decisions/0304-context-without-running-tools.md.
 * Above MAX_ENTRIES tracked files, or for an index we cannot read, the answer is undefined.
 */
export const MAX_ENTRIES = 5000;
const MAX_INDEX_BYTES = 16 * 1024 * 1024;

interface Entry {
  path: string;
  mtimeSec: number;
  mtimeNsec: number;
  size: number;
}

export function parseIndex(buf: Buffer): Entry[] | undefined {
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'DIRC') return undefined;
  const version = buf.readUInt32BE(4);
  const count = buf.readUInt32BE(8);
  if ((version !== 2 && version !== 3) || count > MAX_ENTRIES) return undefined;
  const entries: Entry[] = [];
  let off = 12;
  for (let i = 0; i < count; i++) {
    if (off + 62 > buf.length) return undefined;
    const flags = buf.readUInt16BE(off + 60);
    const extended = version === 3 && (flags & 0x4000) !== 0;
    const nameStart = off + 62 + (extended ? 2 : 0);
    const nul = buf.indexOf(0, nameStart);
    if (nul < 0) return undefined;
    entries.push({
      path: buf.toString('utf8', nameStart, nul),
      mtimeSec: buf.readUInt32BE(off + 8),
      mtimeNsec: buf.readUInt32BE(off + 12),
      size: buf.readUInt32BE(off + 36),
    });
    // entries are padded with 1..8 NULs to a multiple of 8 bytes
    const len = nul - off;
    off += len + (8 - (len % 8));
  }
  return entries;
}

export async function isDirty(root: string, gitDir: string): Promise<boolean | undefined> {
  let buf: Buffer;
  try {
    const fh = await open(join(gitDir, 'index'), 'r');
    try {
      const st = await fh.stat();
      if (st.size > MAX_INDEX_BYTES) return undefined;
      buf = await fh.readFile();
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
  const entries = parseIndex(buf);
  if (entries === undefined) return undefined;
  for (const e of entries) {
    if (e.path.includes('..') || e.path.startsWith('/')) return undefined;
    const st = await stat(join(root, e.path), { bigint: true }).catch(() => undefined);
    if (st === undefined) return true;
    if (st.isDirectory()) continue; // a submodule (gitlink)
    const sec = Number(st.mtimeNs / 1_000_000_000n);
    const nsec = Number(st.mtimeNs % 1_000_000_000n);
    // git built without nanosecond support stores 0: compare seconds only then
    if (Number(st.size % 4294967296n) !== e.size || sec !== e.mtimeSec || (e.mtimeNsec !== 0 && nsec !== e.mtimeNsec))
      return true;
  }
  return false;
}
