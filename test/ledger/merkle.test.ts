import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  Frontier,
  HexFrontier,
  leafHash,
  leafHashHex,
  nodeHash,
  subtreeRoot,
  verifyConsistency,
} from '../../src/ledger/merkle.js';

const leaves = (n: number) => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));

describe('RFC 6962 Merkle tree', () => {
  it('uses the 0x00 leaf and 0x01 node prefixes', () => {
    const a = Buffer.from('a');
    expect(leafHash(a)).toEqual(
      createHash('sha256')
        .update(Buffer.from([0]))
        .update(a)
        .digest(),
    );
    const l = leafHash(a);
    expect(nodeHash(l, l)).toEqual(
      createHash('sha256')
        .update(Buffer.from([1]))
        .update(l)
        .update(l)
        .digest(),
    );
    // RFC 6962 test vector: the empty tree
    expect(subtreeRoot([], 0, 0).toString('hex')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('matches the RFC 6962 reference root for 0..n leaves (test vectors from certificate-transparency-go)', () => {
    // leaves of the CT reference test: "", 00, 10, 2021, 3031, 40414243, 5051525354555657, 606162636465666768696a6b6c6d6e6f
    const data = [
      '',
      '00',
      '10',
      '2021',
      '3031',
      '40414243',
      '5051525354555657',
      '606162636465666768696a6b6c6d6e6f',
    ].map((h) => Buffer.from(h, 'hex'));
    const roots = [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
      'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
      '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
      'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    ];
    const f = new Frontier();
    data.forEach((d, i) => {
      f.append(leafHash(d));
      expect(f.root().toString('hex'), `root of ${i + 1} leaves`).toBe(roots[i]);
    });
  });

  it('incremental frontier = recursive definition, and survives serialization', () => {
    const ls = leaves(70);
    const f = new Frontier();
    ls.forEach((l, i) => {
      f.append(l);
      expect(f.root()).toEqual(subtreeRoot(ls, 0, i + 1));
      const back = Frontier.parse(f.size, f.serialize())!;
      expect(back.root()).toEqual(f.root());
    });
    expect(Frontier.parse(5, Buffer.alloc(32))).toBeUndefined();
  });

  it('consistency proofs verify for every (m, n) and fail when anything is altered', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 80 }), fc.integer({ min: 0, max: 80 }), fc.nat(), (n, mm, pick) => {
        const ls = leaves(n);
        const m = (mm % n) + 1;
        const proof = m === n ? [] : consistencyProof(ls, m);
        const r1 = subtreeRoot(ls, 0, m);
        const r2 = subtreeRoot(ls, 0, n);
        expect(verifyConsistency(m, n, r1, r2, proof)).toBe(true);
        const bad = leafHash(Buffer.from('x'));
        if (proof.length > 0) {
          const altered = proof.slice();
          altered[pick % proof.length] = bad;
          expect(verifyConsistency(m, n, r1, r2, altered)).toBe(false);
          expect(verifyConsistency(m, n, r1, r2, proof.slice(0, -1))).toBe(false);
          expect(verifyConsistency(m, n, r1, r2, [...proof, bad])).toBe(false);
        }
        expect(verifyConsistency(m, n, bad, r2, proof)).toBe(false);
        expect(verifyConsistency(m, n, r1, bad, proof)).toBe(false);
      }),
      { numRuns: 400 },
    );
  });

  it('the hex frontier of the verifier gives the same roots as Frontier and subtreeRoot at every size', () => {
    const hex = new HexFrontier();
    const buf = new Frontier();
    const leaves: Buffer[] = [];
    expect(hex.root()).toEqual(buf.root());
    for (let i = 0; i < 300; i++) {
      const data = Buffer.from(`record ${i}`.repeat(i % 7));
      expect(leafHashHex(data)).toBe(leafHash(data).toString('hex'));
      leaves.push(leafHash(data));
      hex.append(leafHashHex(data));
      buf.append(leafHash(data));
      expect(hex.root()).toEqual(buf.root());
      expect(hex.root()).toEqual(subtreeRoot(leaves, 0, leaves.length));
    }
    // a record longer than the reused input buffer
    const big = Buffer.alloc(200_000, 7);
    expect(leafHashHex(big)).toBe(
      createHash('sha256')
        .update(Buffer.concat([Buffer.from([0]), big]))
        .digest('hex'),
    );
  });
});
