/**
 * `streamRecords` reuses one buffer for every chunk: records that span chunks, records longer than
 * the buffer, and a file with data before the entry all come out exactly, from a file and from
 * memory, with the entry's SHA-256; a torn tail is refused.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { streamRecords, withFileSource } from '../../src/ledger/bundle.js';
import { bufferSource } from '../../src/ledger/tar.js';

const dir = mkdtempSync(join(tmpdir(), 'guard-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MiB = 1 << 20;
const line = (n: number, c: string): string => c.repeat(n);
// lengths around the 4 MiB chunk and the 8 MiB buffer: short, spanning, longer than the buffer
const LINES = [
  line(10, 'a'),
  line(4 * MiB - 3, 'b'),
  line(1, 'c'),
  line(9 * MiB + 7, 'd'),
  line(3, 'e'),
  line(MiB, 'f'),
];

function collect(run: (fn: (b: Buffer) => void) => string): { lines: string[]; digest: string } {
  const lines: string[] = [];
  const digest = run((b) => lines.push(b.toString('latin1')));
  return { lines, digest };
}

describe('streamRecords', () => {
  const body = Buffer.from(LINES.map((l) => `${l}\n`).join(''), 'latin1');
  const prefix = Buffer.alloc(512, 0x7a); // the entry does not start at offset 0
  const whole = Buffer.concat([prefix, body, Buffer.alloc(100, 0x7a)]);
  const entry = { name: 'records', offset: prefix.length, size: body.length };
  const sha = createHash('sha256').update(body).digest('hex');

  it('yields every record exactly, from memory and from a file, with the digest of the entry', () => {
    const mem = collect((fn) => streamRecords(bufferSource(whole), entry, fn));
    expect(mem.lines.map((l) => l.length)).toEqual(LINES.map((l) => l.length));
    expect(mem.lines).toEqual(LINES);
    expect(mem.digest).toBe(sha);
    const file = join(dir, 'bundle');
    writeFileSync(file, whole);
    const disk = withFileSource(file, (src) => collect((fn) => streamRecords(src, entry, fn)));
    expect(disk.lines).toEqual(LINES);
    expect(disk.digest).toBe(sha);
  });

  it('refuses records that do not end with a newline', () => {
    const torn = Buffer.concat([body, Buffer.from('tail')]);
    expect(() =>
      streamRecords(bufferSource(torn), { name: 'records', offset: 0, size: torn.length }, () => undefined),
    ).toThrow(/does not end with a newline/);
  });
});
