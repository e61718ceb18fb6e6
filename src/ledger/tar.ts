/**
 * A minimal, strict POSIX ustar reader/writer for ledger bundles: regular files only, fixed
 * metadata, zero padding, two zero blocks at the end and nothing after. `tar -xf` reads what this
 * writes; the reader refuses anything it would not have written itself (a reason string).
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

function parseOctal(text: string, width: number): number | undefined {
  if (!new RegExp(`^[0-7]{${width - 1}}\\0$`).test(text)) return undefined;
  return parseInt(text.slice(0, -1), 8);
}

/** Parse a tar written by writeTar; returns a reason string for anything else. */
export function readTar(buf: Buffer, maxEntries = 100_000): TarEntry[] | string {
  if (buf.length % BLOCK !== 0)
    return `the bundle is ${buf.length} bytes, not a whole number of 512-byte blocks (torn or truncated)`;
  const out: TarEntry[] = [];
  const seen = new Set<string>();
  let off = 0;
  for (;;) {
    if (off + BLOCK > buf.length) return 'the bundle ends without its end-of-archive marker (torn or truncated)';
    const h = buf.subarray(off, off + BLOCK);
    if (allZero(h)) {
      if (off + 2 * BLOCK !== buf.length || !allZero(buf.subarray(off + BLOCK)))
        return 'unexpected data after the end-of-archive marker';
      return out;
    }
    const at = `header at byte ${off}`;
    const sum = parseOctal(field(h, 148, 7), 7);
    if (sum === undefined || h[155] !== 0x20 || sum !== checksum(h)) return `${at}: bad checksum`;
    const nameEnd = h.indexOf(0, 0);
    const name = h.subarray(0, nameEnd === -1 || nameEnd > 100 ? 100 : nameEnd).toString('latin1');
    if (nameEnd === -1 || nameEnd >= 100 || !allZero(h.subarray(nameEnd, 100)) || !NAME.test(name))
      return `${at}: invalid entry name`;
    if (field(h, 156, 1) !== '0') return `${at}: ${name} is not a regular file`;
    if (field(h, 257, 8) !== 'ustar\0' + '00') return `${at}: not a ustar header`;
    if (field(h, 100, 8) !== octal(0o644, 8) || field(h, 108, 8) !== octal(0, 8) || field(h, 116, 8) !== octal(0, 8)) {
      return `${at}: unexpected mode or owner`;
    }
    if (parseOctal(field(h, 136, 12), 12) === undefined) return `${at}: bad mtime`;
    if (!allZero(h.subarray(157, 257)) || !allZero(h.subarray(265, BLOCK))) return `${at}: unexpected header fields`;
    const size = parseOctal(field(h, 124, 12), 12);
    if (size === undefined) return `${at}: bad size`;
    const start = off + BLOCK;
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (start + padded > buf.length) return `${name}: the bundle is truncated inside this file (torn export)`;
    if (!allZero(buf.subarray(start + size, start + padded))) return `${name}: non-zero padding`;
    if (seen.has(name)) return `${name}: appears twice`;
    if (out.length >= maxEntries) return 'too many entries';
    seen.add(name);
    out.push({ name, data: Buffer.from(buf.subarray(start, start + size)) });
    off = start + padded;
  }
}
