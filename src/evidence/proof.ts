/**
 * RFC 9162 §2.1.3 inclusion proofs from a host's leaf hashes. The tree is built level by level,
 * carrying an unpaired last node up unchanged, which yields the same tree as RFC 6962's split at the
 * largest power of two. Text form (also used in the item pages):
 *
 *   inclusion <leaf index> <tree size>\n
 *   <base64 hash>\n   (one per proof step, leaf side first)
 */
import { encodeBase64 } from '../ledger/b64.js';
import { nodeHash } from '../ledger/merkle.js';
import type { LeafStore } from './collect.js';

export class ProofTree {
  /** Level 0 = leaves; each level one flat buffer of 32-byte hashes (no per-node objects). */
  private readonly levels: { buf: Buffer; count: number }[];

  constructor(
    leaves: LeafStore,
    readonly size = leaves.size,
  ) {
    let level = { buf: Buffer.alloc(size * 32), count: size };
    for (let i = 0; i < size; i++) leaves.get(i).copy(level.buf, i * 32);
    this.levels = [level];
    while (level.count > 1) {
      const count = Math.ceil(level.count / 2);
      const up = { buf: Buffer.alloc(count * 32), count };
      for (let i = 0; i + 1 < level.count; i += 2)
        nodeHash(level.buf.subarray(i * 32, i * 32 + 32), level.buf.subarray(i * 32 + 32, i * 32 + 64)).copy(
          up.buf,
          (i / 2) * 32,
        );
      if (level.count % 2 === 1) level.buf.copy(up.buf, (count - 1) * 32, (level.count - 1) * 32, level.count * 32);
      this.levels.push(up);
      level = up;
    }
  }

  root(): Buffer {
    return Buffer.from(this.levels[this.levels.length - 1]!.buf.subarray(0, 32));
  }

  /** Audit path for the leaf at 0-based `index`. */
  inclusion(index: number): Buffer[] {
    const out: Buffer[] = [];
    let i = index;
    for (let l = 0; l < this.levels.length - 1; l++) {
      const level = this.levels[l]!;
      const sib = i ^ 1;
      if (sib < level.count) out.push(Buffer.from(level.buf.subarray(sib * 32, sib * 32 + 32)));
      i = Math.floor(i / 2);
    }
    return out;
  }
}

export function formatInclusion(index: number, size: number, proof: Buffer[]): string {
  return `inclusion ${index} ${size}\n${proof.map((h) => `${encodeBase64(h)}\n`).join('')}`;
}
