/**
 * Witness cosigning, the pure parts: the cosignature/v1 line format and its check, the witness
 * vkey, and the consistency rule the hub applies before it cosigns.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { consistencyProof, leafHash, subtreeRoot } from '../../src/ledger/merkle.js';
import { formatVkey, parseCheckpoint, rawPublicKey, signCheckpoint, verifierKey } from '../../src/ledger/note.js';
import {
  consistencyFailure,
  cosignatureLine,
  cosignedBy,
  formatWitnessVkey,
  parseWitnessVkey,
  witnessKey,
} from '../../src/hub/witness.js';

const leaves = (n: number, tag = 'r'): Buffer[] =>
  Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`${tag}${i}`)));

function logCheckpoint(size: number, root: Buffer): string {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const vk = verifierKey('example.org/log', rawPublicKey(publicKey));
  return signCheckpoint({ origin: vk.name, size, root }, privateKey, vk);
}

describe('cosignature/v1', () => {
  const w = generateKeyPairSync('ed25519');
  const k = witnessKey('hub.example/witness', w.privateKey);

  it('round-trips a vkey and rejects a wrong key id', () => {
    const text = formatWitnessVkey(k);
    const back = parseWitnessVkey(text);
    expect(typeof back).not.toBe('string');
    expect((back as typeof k).publicKey.equals(k.publicKey)).toBe(true);
    const bad = text.replace(/\+([0-9a-f]{8})\+/, (_, h: string) => `+${h === '00000000' ? '00000001' : '00000000'}+`);
    expect(parseWitnessVkey(bad)).toMatch(/key id does not match/);
    // a log (0x01) key is not a witness key
    const logKey = formatVkey(verifierKey('hub.example/witness', k.publicKey));
    expect(parseWitnessVkey(logKey)).toMatch(/not a cosignature\/v1 Ed25519 key/);
  });

  it('a cosignature line verifies on the checkpoint, keeps the log signature, and binds body and key', () => {
    const text = logCheckpoint(5, subtreeRoot(leaves(5), 0, 5));
    const c = parseCheckpoint(text);
    if (typeof c === 'string') throw new Error(c);
    const line = cosignatureLine(c.body, w.privateKey, k, 1_700_000_000n);
    // 4 key id + 8 time + 64 signature
    expect(Buffer.from(line.trim().split(' ')[2]!, 'base64')).toHaveLength(76);
    const signed = parseCheckpoint(text + line);
    if (typeof signed === 'string') throw new Error(signed);
    expect(cosignedBy(signed, k)).toBe(true);
    expect(cosignedBy(c, k)).toBe(false);
    const other = witnessKey('hub.example/witness', generateKeyPairSync('ed25519').privateKey);
    expect(cosignedBy(signed, other)).toBe(false);
    // the same line moved onto another checkpoint body does not verify
    const moved = parseCheckpoint(logCheckpoint(5, subtreeRoot(leaves(5, 'x'), 0, 5)) + line);
    if (typeof moved === 'string') throw new Error(moved);
    expect(cosignedBy(moved, k)).toBe(false);
  });
});

describe('consistencyFailure', () => {
  const all = leaves(13);
  const root = (n: number, l = all): Buffer => subtreeRoot(l, 0, n);

  it('accepts the first checkpoint, the same one again, and every proven extension', () => {
    expect(consistencyFailure(undefined, { size: 3, root: root(3) }, [])).toBeUndefined();
    expect(consistencyFailure({ size: 7, root: root(7) }, { size: 7, root: root(7) }, [])).toBeUndefined();
    for (let m = 1; m < 13; m++)
      expect(
        consistencyFailure({ size: m, root: root(m) }, { size: 13, root: root(13) }, consistencyProof(all, m)),
      ).toBeUndefined();
  });

  it('refuses a rewritten prefix, a shrunk tree, another root at the same size, and a missing proof', () => {
    const rewritten = [...all];
    rewritten[2] = leafHash(Buffer.from('rewritten'));
    const prev = { size: 5, root: root(5) };
    expect(consistencyFailure(prev, { size: 13, root: root(13, rewritten) }, consistencyProof(rewritten, 5))).toMatch(
      /rewritten/,
    );
    expect(consistencyFailure(prev, { size: 4, root: root(4) }, [])).toMatch(/shrank/);
    expect(consistencyFailure(prev, { size: 5, root: root(5, rewritten) }, [])).toMatch(/another root/);
    expect(consistencyFailure(prev, { size: 13, root: root(13) }, [])).toMatch(/no valid consistency proof/);
  });
});
