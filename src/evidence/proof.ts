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
  private readonly levels: Buffer[][];

  constructor(
    leaves: LeafStore,
    readonly size = leaves.size,
  ) {
    let level: Buffer[] = [];
    for (let i = 0; i < size; i++) level.push(Buffer.from(leaves.get(i)));
    this.levels = [level];
    while (level.length > 1) {
      const up: Buffer[] = [];
      for (let i = 0; i + 1 < level.length; i += 2) up.push(nodeHash(level[i]!, level[i + 1]!));
      if (level.length % 2 === 1) up.push(level[level.length - 1]!);
      this.levels.push(up);
      level = up;
    }
  }

  root(): Buffer {
    return this.levels[this.levels.length - 1]![0]!;
  }

  /** Audit path for the leaf at 0-based `index`. */
  inclusion(index: number): Buffer[] {
    const out: Buffer[] = [];
    let i = index;
    for (let l = 0; l < this.levels.length - 1; l++) {
      const level = this.levels[l]!;
      const sib = i ^ 1;
      if (sib < level.length) out.push(level[sib]!);
      i = Math.floor(i / 2);
    }
    return out;
  }
}

export function formatInclusion(index: number, size: number, proof: Buffer[]): string {
  return `inclusion ${index} ${size}\n${proof.map((h) => `${encodeBase64(h)}\n`).join('')}`;
}
