import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DataFrame,
  dataHeader,
  encodeFrame,
  FrameError,
  FrameReader,
  MAX_FRAME_BYTES,
} from '../../src/daemon/framing.js';

function split(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

describe('framing', () => {
  it('decodes any sequence of messages however the stream is cut', () => {
    const json = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
    fc.assert(
      fc.property(
        fc.array(json, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (msgs, cuts) => {
          const stream = Buffer.concat(msgs.map((m) => encodeFrame(m)));
          const reader = new FrameReader();
          const got: unknown[] = [];
          for (const chunk of split(stream, cuts)) got.push(...reader.push(chunk));
          expect(got).toEqual(msgs);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a frame header above the limit before buffering its body', () => {
    const reader = new FrameReader(1024);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(1025);
    expect(() => reader.push(head)).toThrow(FrameError);
  });

  it('refuses to encode a message above the limit', () => {
    expect(() => encodeFrame({ big: 'x'.repeat(MAX_FRAME_BYTES) })).toThrow(/exceeds/);
  });

  it('refuses a body that is not JSON', () => {
    const body = Buffer.from('{not json', 'utf8');
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length);
    expect(() => new FrameReader().push(Buffer.concat([head, body]))).toThrow(/not valid JSON/);
  });

  it('keeps a partial frame until the rest arrives, byte by byte', () => {
    const frame = encodeFrame({ type: 'ping', id: 1 });
    const reader = new FrameReader();
    const got: unknown[] = [];
    for (const byte of frame) got.push(...reader.push(Buffer.from([byte])));
    expect(got).toEqual([{ type: 'ping', id: 1 }]);
  });

  describe('data frames (stdio through the executor, decision 1023)', () => {
    const dataFrame = (kind: 0 | 1 | 2, re: number, bytes: Buffer): Buffer =>
      Buffer.concat([dataHeader(kind, re, bytes.length), bytes]);

    it('interleave with JSON frames and come out byte-exact however the stream is cut', () => {
      fc.assert(
        fc.property(
          fc.array(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.jsonValue({ maxDepth: 2 })), {
            minLength: 1,
            maxLength: 8,
          }),
          fc.array(fc.nat(), { maxLength: 12 }),
          fc.nat({ max: 2 ** 32 - 1 }),
          (items, cuts, re) => {
            const expected = items.map((v) =>
              v instanceof Uint8Array
                ? { kind: 2, re, data: Buffer.from(v) }
                : (JSON.parse(JSON.stringify(v)) as unknown),
            );
            const stream = Buffer.concat(
              items.map((v) => (v instanceof Uint8Array ? dataFrame(2, re, Buffer.from(v)) : encodeFrame(v))),
            );
            const reader = new FrameReader(undefined, { data: true });
            const got: unknown[] = [];
            for (const chunk of split(stream, cuts))
              for (const v of reader.push(chunk))
                got.push(v instanceof DataFrame ? { kind: v.kind, re: v.re, data: Buffer.from(v.data) } : v);
            expect(got).toEqual(expected);
          },
        ),
        { numRuns: 300 },
      );
    });

    it('are an oversized frame to a reader that does not take them', () => {
      expect(() => new FrameReader().push(dataFrame(0, 1, Buffer.from('x')))).toThrow(/exceeds/);
    });

    it('are refused above the frame limit and without their header', () => {
      const big = Buffer.alloc(8);
      big.writeUInt32BE((0x80000000 | (MAX_FRAME_BYTES + 1)) >>> 0, 0);
      expect(() => new FrameReader(undefined, { data: true }).push(big)).toThrow(/exceeds/);
      const short = Buffer.from([0x80, 0, 0, 2, 0, 0]);
      expect(() => new FrameReader(undefined, { data: true }).push(short)).toThrow(/without its header/);
    });
  });
});
