/**
 * A minimal POSIX ustar writer for ledger bundles (regular files only, fixed metadata, zero padding,
 * two zero blocks at the end) and a reader that also accepts what standard tar writers produce when
 * an auditor re-packs a bundle (see indexTar).
 */
const BLOCK = 512;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/;

export interface TarEntry {
  name: string;
  data: Buffer;
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

export function writeTar(entries: TarEntry[], mtime = 0): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (!NAME.test(e.name) || e.name.length > 99) throw new Error(`invalid bundle entry name ${e.name}`);
    const h = Buffer.alloc(BLOCK);
    h.write(e.name, 0, 'ascii');
    h.write(octal(0o644, 8), 100, 'ascii');
    h.write(octal(0, 8), 108, 'ascii');
    h.write(octal(0, 8), 116, 'ascii');
    h.write(octal(e.data.length, 12), 124, 'ascii');
    h.write(octal(mtime, 12), 136, 'ascii');
    h.write('        ', 148, 'ascii');
    h.write('0', 156, 'ascii');
    h.write('ustar\0' + '00', 257, 'ascii');
    h.write(`${checksum(h).toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    parts.push(h, e.data, Buffer.alloc((BLOCK - (e.data.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

function checksum(h: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  return sum;
}

function allZero(b: Buffer): boolean {
  for (const x of b) if (x !== 0) return false;
  return true;
}

function field(h: Buffer, off: number, len: number): string {
  return h.subarray(off, off + len).toString('latin1');
}

/** A numeric header field: octal digits, optionally space-padded in front, ended by NUL or space. */
function parseNumeric(text: string): number | undefined {
  const m = /^ *([0-7]+)[ \0]*$/.exec(text);
  if (m === null) return undefined;
  const n = parseInt(m[1]!, 8);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Random access to the bundle's bytes: a Buffer in memory or an open file. */
export interface ByteSource {
  length: number;
  read(offset: number, length: number): Buffer;
  /** Read into `target` at `at` (no allocation); sources without it are read with `read` and copied. */
  readInto?(target: Buffer, at: number, offset: number, length: number): void;
}

export function bufferSource(buf: Buffer): ByteSource {
  return { length: buf.length, read: (o, l) => buf.subarray(o, o + l) };
}

/** A file entry found in the archive: where its data lies. */
export interface TarIndexEntry {
  name: string;
  offset: number;
  size: number;
}

const DIRS = new Set(['', 'checkpoints', 'previous']);

/** PAX extended header records (`<len> <key>=<value>\n`); undefined when malformed. */
function parsePax(data: Buffer): Map<string, string> | undefined {
  const out = new Map<string, string>();
  let off = 0;
  while (off < data.length) {
    const sp = data.indexOf(0x20, off);
    if (sp === -1) return undefined;
    const len = Number(data.subarray(off, sp).toString('latin1'));
    if (!Number.isSafeInteger(len) || len <= sp - off || off + len > data.length || data[off + len - 1] !== 0x0a)
      return undefined;
    const rec = data.subarray(sp + 1, off + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq <= 0) return undefined;
    out.set(rec.slice(0, eq), rec.slice(eq + 1));
    off += len;
  }
  return out;
}

/**
 * Index a ustar archive as GNU tar, bsdtar or guard write it: regular files (type '0' or NUL),
 * directory entries for `checkpoints/` and `previous/` (skipped), PAX extended headers whose `path`
 * and `size` apply to the next entry (other PAX keys such as times and owners are ignored), the POSIX
 * `ustar\000` and the GNU `ustar  \0` magic, any mode, owner and time, names with a leading `./` or a
 * ustar prefix, and zero blocks after the end marker (tar pads to its record size). Refused: links,
 * devices, GNU long names, a name that appears twice, non-zero padding or trailing data. Metadata is
 * not evidence: the MANIFEST digests cover every file's content. Returns a reason string on failure.
 */
export function indexTar(src: ByteSource, maxEntries = 100_000): TarIndexEntry[] | string {
  if (src.length % BLOCK !== 0)
    return `the bundle is ${src.length} bytes, not a whole number of 512-byte blocks (torn or truncated)`;
  const out: TarIndexEntry[] = [];
  const seen = new Set<string>();
  let pax: Map<string, string> | undefined;
  let off = 0;
  for (let headers = 0; ; headers++) {
    if (headers > maxEntries * 3) return 'too many entries';
    if (off + BLOCK > src.length) return 'the bundle ends without its end-of-archive marker (torn or truncated)';
    const h = src.read(off, BLOCK);
    if (allZero(h)) {
      for (let z = off + BLOCK; z < src.length; z += 1 << 20) {
        if (!allZero(src.read(z, Math.min(1 << 20, src.length - z))))
          return 'unexpected data after the end-of-archive marker';
      }
      if (off + 2 * BLOCK > src.length) return 'the bundle ends without its end-of-archive marker (torn or truncated)';
      if (pax !== undefined) return 'a PAX header is not followed by an entry';
      return out;
    }
    const at = `header at byte ${off}`;
    const sum = parseNumeric(field(h, 148, 8));
    if (sum === undefined || sum !== checksum(h)) return `${at}: bad checksum`;
    const magic = field(h, 257, 8);
    if (magic !== 'ustar\0' + '00' && magic !== 'ustar  \0') return `${at}: not a ustar header`;
    let size = parseNumeric(field(h, 124, 12));
    if (size === undefined) return `${at}: bad size`;
    const type = field(h, 156, 1);
    const start = off + BLOCK;
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (start + padded > src.length) return `${at}: the bundle is truncated inside an entry (torn export)`;
    const next = start + padded;
    if (type === 'x') {
      if (pax !== undefined || size > 65536) return `${at}: malformed PAX header`;
      pax = parsePax(src.read(start, size));
      if (pax === undefined) return `${at}: malformed PAX header`;
      off = next;
      continue;
    }
    if (type === 'g') {
      const g = size > 65536 ? undefined : parsePax(src.read(start, size));
      if (g === undefined || g.has('path') || g.has('size')) return `${at}: unsupported global PAX header`;
      off = next;
      continue;
    }
    const nameField = h.subarray(0, 100);
    const prefixField = magic === 'ustar\0' + '00' ? h.subarray(345, 500) : Buffer.alloc(0);
    const cstr = (b: Buffer): string => {
      const end = b.indexOf(0);
      return b.subarray(0, end === -1 ? b.length : end).toString('latin1');
    };
    let name = cstr(nameField);
    const prefix = cstr(prefixField);
    if (prefix !== '') name = `${prefix}/${name}`;
    if (pax?.has('path') === true) name = pax.get('path')!;
    if (pax?.has('size') === true) {
      const s = /^(0|[1-9][0-9]{0,15})$/.test(pax.get('size')!) ? Number(pax.get('size')) : undefined;
      if (s === undefined || s !== size) return `${at}: PAX size disagrees with the header`;
      size = s;
    }
    pax = undefined;
    while (name.startsWith('./')) name = name.slice(2);
    if (type === '5') {
      if (!DIRS.has(name.replace(/\/$/, '')) || size !== 0) return `${at}: unexpected directory ${name}`;
      off = next;
      continue;
    }
    if (type !== '0' && type !== '\0') return `${at}: ${name} is not a regular file`;
    if (!NAME.test(name)) return `${at}: invalid entry name`;
    if (!allZero(src.read(start + size, padded - size))) return `${name}: non-zero padding`;
    if (seen.has(name)) return `${name}: appears twice`;
    if (out.length >= maxEntries) return 'too many entries';
    seen.add(name);
    out.push({ name, offset: start, size });
    off = next;
  }
}

/** Parse a whole archive held in memory (see indexTar for what is accepted). */
export function readTar(buf: Buffer, maxEntries = 100_000): TarEntry[] | string {
  const index = indexTar(bufferSource(buf), maxEntries);
  if (typeof index === 'string') return index;
  return index.map((e) => ({ name: e.name, data: Buffer.from(buf.subarray(e.offset, e.offset + e.size)) }));
}
