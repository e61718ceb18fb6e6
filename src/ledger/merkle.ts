/**
 * RFC 6962 / RFC 9162 Merkle tree: leaf = SHA-256(0x00 || bytes), node = SHA-256(0x01 || l || r).
 * Pure functions over 32-byte hashes; no I/O.
 */
import * as crypto from 'node:crypto';

type OneShot = {
  (algorithm: string, data: Uint8Array, encoding: 'buffer'): Buffer;
  (algorithm: string, data: Uint8Array, encoding: 'hex'): string;
};
// crypto.hash (Node >= 20.12) is several times faster than createHash for small inputs
const oneShot = (crypto as unknown as { hash?: OneShot }).hash;
const sha256 = (data: Uint8Array): Buffer =>
  oneShot !== undefined ? oneShot('sha256', data, 'buffer') : crypto.createHash('sha256').update(data).digest();
// a hex result costs a third of a Buffer result (no ArrayBuffer per hash): the verifier's hot path
const sha256Hex = (data: Uint8Array): string =>
  oneShot !== undefined ? oneShot('sha256', data, 'hex') : crypto.createHash('sha256').update(data).digest('hex');

// Reused input buffers: a fresh one per hash made the verifier's allocator and GC work rival the
// hashing itself (decision 0217). Hashing is synchronous, so one of each per thread is enough.
const SCRATCH_MAX = 1 << 16;
let leafScratch = Buffer.allocUnsafe(4096);
const nodeScratch = Buffer.allocUnsafe(65);

function leafInput(bytes: Uint8Array): Buffer {
  const n = bytes.length + 1;
  if (n > leafScratch.length && n <= SCRATCH_MAX) leafScratch = Buffer.allocUnsafe(SCRATCH_MAX);
  const b = n <= leafScratch.length ? leafScratch.subarray(0, n) : Buffer.allocUnsafe(n);
  b[0] = 0;
  b.set(bytes, 1);
  return b;
}

export function leafHash(bytes: Uint8Array): Buffer {
  return sha256(leafInput(bytes));
}

/** The leaf hash as 64 lowercase hex digits (the form of a record's `prev`). */
export function leafHashHex(bytes: Uint8Array): string {
  return sha256Hex(leafInput(bytes));
}

function nodeHashHex(left: string, right: string): string {
  const b = nodeScratch;
  b[0] = 1;
  b.write(left, 1, 'hex');
  b.write(right, 33, 'hex');
  return sha256Hex(b);
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  const b = nodeScratch;
  b[0] = 1;
  b.set(left, 1);
  b.set(right, 33);
  return sha256(b);
}

/** SHA-256 of the empty string: the root of the empty tree. */
export const EMPTY_ROOT: Buffer = Buffer.from(
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  'hex',
);

/**
 * The right edge of a tree (its "compact range"): the roots of the perfect subtrees that make up
 * the first `size` leaves, largest first. Appending is amortised O(1) hashes; the root is O(log n).
 * Generic over how a hash is held (Buffer for the writer, hex for the verifier).
 */
class CompactRange<T extends NonNullable<unknown>> {
  constructor(
    public size: number,
    readonly nodes: T[],
    private readonly node: (left: T, right: T) => T,
  ) {}

  append(leaf: T): void {
    let h = leaf;
    let n = this.size;
    while (n % 2 === 1) {
      h = this.node(this.nodes.pop()!, h);
      n = Math.floor(n / 2);
    }
    this.nodes.push(h);
    this.size += 1;
  }

  /** The root, or undefined for the empty tree. */
  protected top(): T | undefined {
    if (this.nodes.length === 0) return undefined;
    let h = this.nodes[this.nodes.length - 1]!;
    for (let i = this.nodes.length - 2; i >= 0; i--) h = this.node(this.nodes[i]!, h);
    return h;
  }
}

export class Frontier extends CompactRange<Buffer> {
  constructor(size = 0, nodes: Buffer[] = []) {
    super(size, nodes, nodeHash);
  }

  root(): Buffer {
    return this.top() ?? EMPTY_ROOT;
  }

  clone(): Frontier {
    return new Frontier(this.size, [...this.nodes]);
  }

  serialize(): Buffer {
    return Buffer.concat(this.nodes);
  }

  /** Rebuild from a serialized frontier; undefined when the byte length does not fit `size`. */
  static parse(size: number, blob: Uint8Array): Frontier | undefined {
    const count = popcount(size);
    if (blob.length !== count * 32) return undefined;
    const nodes: Buffer[] = [];
    for (let i = 0; i < count; i++) nodes.push(Buffer.from(blob.subarray(i * 32, i * 32 + 32)));
    return new Frontier(size, nodes);
  }
}

/** Frontier over hex hashes, for the verifier: the same tree without a Buffer per hash. */
export class HexFrontier extends CompactRange<string> {
  constructor() {
    super(0, [], nodeHashHex);
  }

  root(): Buffer {
    const h = this.top();
    return h === undefined ? EMPTY_ROOT : Buffer.from(h, 'hex');
  }
}

function popcount(n: number): number {
  let c = 0;
  for (let x = n; x > 0; x = Math.floor(x / 2)) c += x % 2;
  return c;
}

/** Largest power of two strictly smaller than n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[lo:hi]) over leaf hashes. */
export function subtreeRoot(leaves: Buffer[], lo: number, hi: number): Buffer {
  const n = hi - lo;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leaves[lo]!;
  const k = splitPoint(n);
  return nodeHash(subtreeRoot(leaves, lo, lo + k), subtreeRoot(leaves, lo + k, hi));
}

/** RFC 9162 §2.1.4.1 PROOF(m, D[n]): consistency proof from the first m leaves to all of `leaves`. */
export function consistencyProof(leaves: Buffer[], m: number): Buffer[] {
  const n = leaves.length;
  if (m <= 0 || m > n) throw new RangeError(`no consistency proof from size ${m} to ${n}`);
  const out: Buffer[] = [];
  subproof(leaves, m, 0, n, true, out);
  return out;
}

function subproof(leaves: Buffer[], m: number, lo: number, hi: number, complete: boolean, out: Buffer[]): void {
  const n = hi - lo;
  if (m === n) {
    if (!complete) out.push(subtreeRoot(leaves, lo, hi));
    return;
  }
  const k = splitPoint(n);
  if (m <= k) {
    subproof(leaves, m, lo, lo + k, complete, out);
    out.push(subtreeRoot(leaves, lo + k, hi));
  } else {
    subproof(leaves, m - k, lo + k, hi, false, out);
    out.push(subtreeRoot(leaves, lo, lo + k));
  }
}

/** RFC 9162 §2.1.4.2: does `proof` show that tree (first, firstRoot) is a prefix of (second, secondRoot)? */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: Uint8Array[],
): boolean {
  if (first < 1 || second < first || !Number.isSafeInteger(second)) return false;
  if (first === second) return proof.length === 0 && Buffer.from(firstRoot).equals(Buffer.from(secondRoot));
  if (proof.length === 0 || proof.length > 128) return false;
  const path = [...proof];
  if ((first & (first - 1)) === 0) path.unshift(firstRoot);
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Uint8Array = path[0]!;
  let sr: Uint8Array = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && Buffer.from(fr).equals(Buffer.from(firstRoot)) && Buffer.from(sr).equals(Buffer.from(secondRoot));
}
