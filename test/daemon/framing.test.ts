import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameError, FrameReader, MAX_FRAME_BYTES } from '../../src/daemon/framing.js';

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

  it('takes a length with the top bit set (the retired stdio data frames, decision 1027) as oversized', () => {
    const head = Buffer.alloc(9);
    head.writeUInt32BE((0x80000000 | 5) >>> 0, 0);
    expect(() => new FrameReader().push(head)).toThrow(FrameError);
    expect(() => new FrameReader().push(head)).toThrow(/exceeds/);
  });
});
