/** The verifier against exhaustive single-bit flips and random garbage: 100% detected, 0 crashes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle, type BundleParts } from '../../src/ledger/bundle.js';
import { VerifyFailedError } from '../../src/ledger/errors.js';
import type { VerifierKey } from '../../src/ledger/note.js';
import type { TestHome } from './helpers.js';
import { rebuild, tamperFixture } from './tamper-helpers.js';

let h: TestHome;
let genesis: VerifierKey;
let bundle: Buffer;
let parts: BundleParts;

beforeAll(async () => {
  ({ h, genesis, bundle, parts } = await tamperFixture());
});
afterAll(() => h.cleanup());

const withParts = (p: Partial<BundleParts>) => rebuild({ ...parts, ...p });

describe('tamper sweep', () => {
  it('exhaustive single-bit flips over records and checkpoints: 100% detected, 0 crashes', () => {
    let flips = 0;
    let detected = 0;
    const crashes: string[] = [];
    const attempt = (p: Partial<BundleParts>, where: string) => {
      flips++;
      try {
        verifyBundle(withParts(p), genesis);
      } catch (err) {
        if (err instanceof VerifyFailedError) detected++;
        else crashes.push(`${where}: ${String(err)}`);
      }
    };
    parts.records.forEach((rec, ri) => {
      for (let byte = 0; byte < rec.length; byte++) {
        for (let bit = 0; bit < 8; bit++) {
          const records = parts.records.slice();
          const copy = Buffer.from(rec);
          copy[byte]! ^= 1 << bit;
          records[ri] = copy;
          attempt({ records }, `record ${ri + 1} byte ${byte} bit ${bit}`);
        }
      }
    });
    parts.checkpoints.forEach((cp, ci) => {
      const bytes = Buffer.from(cp.text, 'utf8');
      for (let byte = 0; byte < bytes.length; byte++) {
        for (let bit = 0; bit < 8; bit++) {
          const copy = Buffer.from(bytes);
          copy[byte]! ^= 1 << bit;
          const checkpoints = parts.checkpoints.slice();
          checkpoints[ci] = {
            size: cp.size,
            text: copy.toString('latin1') === copy.toString('utf8') ? copy.toString('utf8') : copy.toString('latin1'),
          };
          attempt({ checkpoints }, `checkpoint ${cp.size} byte ${byte} bit ${bit}`);
        }
      }
    });
    expect(crashes).toEqual([]);
    expect(flips).toBeGreaterThan(10_000);
    expect(detected).toBe(flips);
  });

  it('hostile input never crashes the verifier', async () => {
    const fc = await import('fast-check');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.nat(bundle.length - 1), (junk, at) => {
        for (const input of [
          Buffer.from(junk),
          Buffer.concat([bundle.subarray(0, at), Buffer.from(junk), bundle.subarray(at + junk.length)]),
        ]) {
          try {
            verifyBundle(input, genesis);
          } catch (err) {
            if (!(err instanceof VerifyFailedError)) throw err;
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the text parsers (checkpoint, key, pubkey file, state, tar) return a reason on any input, never throw', async () => {
    const fc = await import('fast-check');
    const { parseCheckpoint, parseVkey } = await import('../../src/ledger/note.js');
    const { parsePubkeyFile } = await import('../../src/ledger/pubkey.js');
    const { parseState } = await import('../../src/ledger/state.js');
    const { readTar } = await import('../../src/ledger/tar.js');
    const cp = parts.checkpoints[0]!.text;
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc
        .tuple(fc.nat(cp.length), fc.string({ maxLength: 8 }))
        .map(([i, x]) => cp.slice(0, i) + x + cp.slice(i + x.length)),
    );
    fc.assert(
      fc.property(text, (t) => {
        for (const r of [
          parseCheckpoint(t),
          parseVkey(t),
          parsePubkeyFile(t),
          parseState(t),
          readTar(Buffer.from(t)),
        ]) {
          expect(r).toBeDefined();
        }
      }),
      { numRuns: 2000 },
    );
  });
});
