/**
 * The offline verifier: a pure function of record bytes, checkpoint texts and a pinned key.
 * Every problem is a VerifyFailedError naming the record or checkpoint; it never throws anything
 * else on hostile input. Keys shipped alongside the data are never trusted: the only keys used are
 * the pinned genesis key and successors announced in `key_rotation` records that are themselves
 * sealed by a hand-over checkpoint signed with the previous key.
 */
import { TextDecoder } from 'node:util';
import { canonicalize } from '../util/canonical.js';
import { encodeBase64 } from './b64.js';
import { VerifyFailedError } from './errors.js';
import { HexFrontier, leafHashHex, verifyConsistency } from './merkle.js';
import {
  checkpointSignedBy,
  parseCheckpoint,
  parseVkey,
  signatureBy,
  type SignedCheckpoint,
  type VerifierKey,
} from './note.js';
import { RECORD_TYPES } from './record.js';
import { scanRecord } from './record-scan.js';
import { findDuplicateKey } from './strict-json.js';

export interface CheckpointInput {
  /** Where it came from, for messages (a bundle file name, `checkpoint at size N`). */
  label: string;
  text: string;
}

export interface Anchor {
  /** e.g. `the state file`, `the previous export`. */
  label: string;
  size: number;
  root: Buffer;
  /** A signed checkpoint for this anchor (previous export); verified under the key of its epoch. */
  checkpoint?: SignedCheckpoint;
  /** Consistency proof from this anchor to the final checkpoint. */
  proof?: Buffer[];
}

export interface VerifyInput {
  records: Buffer[];
  checkpoints: CheckpointInput[];
  trusted: VerifierKey;
  anchors?: Anchor[];
}

export interface VerifyResult {
  origin: string;
  size: number;
  root: Buffer;
  /** The final checkpoint's text (the one to keep as the next export's `--since-checkpoint`). */
  checkpoint: string;
  checkpointsVerified: number;
  keyRotations: number;
  /** Each rotation: the seq of its `key_rotation` record and the key it introduced. */
  rotations: { seq: number; key: VerifierKey }[];
  /** Signature lines by other keys (witness cosignatures), present but not verified here. */
  witnesses: { checkpoint: string; size: number; name: string; keyId: string }[];
  /** The verified checkpoints that carry such lines, for a caller that checks them (`--witness`). */
  cosigned: SignedCheckpoint[];
}

const TS = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$/;
const HEX64 = /^[0-9a-f]{64}$/;

function fail(message: string, details: Record<string, unknown> = {}): never {
  throw new VerifyFailedError(message, {
    details,
    hint: 'the ledger or bundle was altered or is incomplete; do not rely on it',
  });
}

export function verifyLedger(input: VerifyInput): VerifyResult {
  if (input.records.length === 0) fail('there are no records to verify');
  const v = new LedgerVerifier(input);
  for (const bytes of input.records) v.push(bytes);
  return v.finish();
}

/** What `push` learns about one record (for readers that stream, such as the evidence pack). */
export interface VerifiedRecord {
  seq: number;
  /**
   * The parsed record (`payload`, `prev`, `seq`, `ts`, `type`), parsed on first use: read it before
   * the next record is pushed (the bytes behind it are a reader's reused buffer), or it throws.
   */
  readonly record: Record<string, unknown>;
  type: string;
  /** RFC 6962 leaf hash. */
  readonly leaf: Buffer;
  /** The same, as 64 lowercase hex digits. */
  leafHex: string;
}

/** A record that passed the checks; parses its bytes only when asked (decision 0217). */
class Verified implements VerifiedRecord {
  private parsed: Record<string, unknown> | undefined;
  constructor(
    readonly seq: number,
    readonly type: string,
    readonly leafHex: string,
    private bytes: Buffer | undefined,
    parsed?: Record<string, unknown>,
  ) {
    this.parsed = parsed;
  }

  get leaf(): Buffer {
    return Buffer.from(this.leafHex, 'hex');
  }

  get record(): Record<string, unknown> {
    if (this.parsed === undefined) {
      if (this.bytes === undefined) throw new Error(`record ${this.seq} was read after the next record was pushed`);
      this.parsed = JSON.parse(this.bytes.toString('utf8')) as Record<string, unknown>;
    }
    return this.parsed;
  }

  /** The bytes may be overwritten from now on. */
  detach(): void {
    this.bytes = undefined;
  }
}

/**
 * The verifier as a stream: `push` each record's bytes in order, then `finish`. Memory stays at the
 * Merkle frontier (O(log n) hashes) plus the checkpoints, whatever the number of records. A record
 * passed to `push` is only trustworthy once `finish` has returned: callers that act on records
 * must discard everything if anything throws.
 */
export class LedgerVerifier {
  private readonly byS: Map<number, { label: string; parsed: SignedCheckpoint }[]>;
  private readonly anchors = new Map<number, Anchor[]>();
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  private readonly tree = new HexFrontier();
  private readonly keys: { from: number; key: VerifierKey }[];
  private prev = '';
  private verified = 0;
  private sealedUpTo = 0;
  private n = 0;
  private last: Verified | undefined;

  constructor(private readonly input: Omit<VerifyInput, 'records'>) {
    this.byS = collectCheckpoints(input.checkpoints, input.trusted);
    for (const a of input.anchors ?? []) this.anchors.set(a.size, [...(this.anchors.get(a.size) ?? []), a]);
    this.keys = [{ from: 0, key: input.trusted }];
  }

  /** Add a checkpoint after construction (a reader that streams them); it must lie ahead of the records pushed. */
  addCheckpoint(c: CheckpointInput): void {
    const [size, list] = [...collectCheckpoints([c], this.input.trusted)][0]!;
    if (size <= this.n) fail(`${c.label}: arrives after the records it covers`, { checkpoint: c.label });
    if (this.byS.has(size)) fail(`${c.label}: a second checkpoint for size ${size}`, { checkpoint: c.label });
    this.byS.set(size, list);
  }

  /** Number of records pushed so far. */
  get size(): number {
    return this.n;
  }

  /** The Merkle root of the records pushed so far. */
  root(): Buffer {
    return this.tree.root();
  }

  push(bytes: Buffer): VerifiedRecord {
    const seq = ++this.n;
    this.last?.detach();
    this.last = undefined;
    // the one-pass scan accepts what certainly passes; anything else gets the full check and its reason
    const scanned = scanRecord(bytes, seq, this.prev);
    const parsed = scanned === undefined ? checkRecord(bytes, seq, this.prev, this.decoder) : undefined;
    const type = scanned ?? (parsed!['type'] as string);
    const leaf = leafHashHex(bytes);
    this.prev = leaf;
    this.tree.append(leaf);
    const v = new Verified(seq, type, leaf, bytes, parsed);
    const keys = this.keys;
    if (type === 'key_rotation') keys.push({ from: seq, key: rotationKey(v.record, seq, keys[keys.length - 1]!.key) });
    const cps = this.byS.get(seq);
    const epochKey = keyFor(keys, seq);
    if (cps !== undefined || this.anchors.has(seq)) {
      const root = this.tree.root();
      for (const cp of cps ?? []) {
        checkCheckpoint(cp.parsed, cp.label, root, epochKey, this.sealedUpTo);
        this.sealedUpTo = seq;
        this.verified++;
      }
      for (const a of this.anchors.get(seq) ?? []) checkAnchor(a, root, epochKey);
    }
    if (type === 'key_rotation' && cps === undefined) {
      fail(`record ${seq}: key rotation has no hand-over checkpoint at size ${seq} signed by the previous key`, {
        seq,
      });
    }
    this.last = v;
    return v;
  }

  finish(): VerifyResult {
    const n = this.n;
    if (n === 0) fail('there are no records to verify');
    for (const a of this.input.anchors ?? []) {
      if (a.size > n)
        fail(`rollback: ${a.label} recorded ${a.size} records but only ${n} are present`, { anchor: a.label });
    }
    for (const [size, [cp]] of this.byS) {
      if (size > n) {
        fail(
          `${cp!.label}: checkpoint covers ${size} records but only ${n} are present (records missing from the tail)`,
          { checkpoint: cp!.label, seq: n + 1 },
        );
      }
    }
    const last = [...this.byS.keys()].reduce((a, b) => Math.max(a, b), 0);
    if (last !== n) {
      fail(`records ${last + 1}..${n} are not sealed by any checkpoint (the last checkpoint covers ${last})`, {
        seq: last + 1,
      });
    }
    const root = this.tree.root();
    const final = this.byS.get(n)![0]!;
    for (const a of this.input.anchors ?? []) {
      if (a.proof !== undefined && !verifyConsistency(a.size, n, a.root, root, a.proof)) {
        fail(`the consistency proof from ${a.label} (size ${a.size}) to size ${n} does not verify`, {
          anchor: a.label,
        });
      }
    }
    return {
      origin: this.input.trusted.name,
      size: n,
      root,
      checkpoint: final.parsed.text,
      checkpointsVerified: this.verified,
      keyRotations: this.keys.length - 1,
      rotations: this.keys.slice(1).map((k) => ({ seq: k.from, key: k.key })),
      witnesses: [...this.byS.values()].flatMap(([c]) =>
        c!.parsed.signatures
          .filter((s) => s.name !== c!.parsed.origin)
          .map((s) => ({ checkpoint: c!.label, size: c!.parsed.size, name: s.name, keyId: s.keyId.toString('hex') })),
      ),
      cosigned: [...this.byS.values()]
        .map(([c]) => c!.parsed)
        .filter((p) => p.signatures.some((s) => s.name !== p.origin)),
    };
  }
}

function keyFor(keys: { from: number; key: VerifierKey }[], size: number): VerifierKey {
  let k = keys[0]!.key;
  for (const e of keys) if (e.from < size) k = e.key;
  return k;
}

function collectCheckpoints(inputs: CheckpointInput[], trusted: VerifierKey) {
  const bySize = new Map<number, { label: string; parsed: SignedCheckpoint }[]>();
  for (const c of inputs) {
    const parsed = parseCheckpoint(c.text);
    if (typeof parsed === 'string') fail(`${c.label}: ${parsed}`, { checkpoint: c.label });
    if (parsed.origin !== trusted.name) {
      fail(
        `${c.label}: origin ${JSON.stringify(parsed.origin)} is not the pinned origin ${JSON.stringify(trusted.name)}`,
        {
          checkpoint: c.label,
        },
      );
    }
    if (parsed.size === 0) fail(`${c.label}: checkpoint of an empty tree`, { checkpoint: c.label });
    if (bySize.has(parsed.size))
      fail(`${c.label}: a second checkpoint for size ${parsed.size}`, { checkpoint: c.label });
    bySize.set(parsed.size, [{ label: c.label, parsed }]);
  }
  return bySize;
}

/** `sealedUpTo`: the size of the last checkpoint that verified, which narrows down the changed record. */
function checkCheckpoint(cp: SignedCheckpoint, label: string, root: Buffer, key: VerifierKey, sealedUpTo = 0): void {
  if (signatureBy(cp, key) === undefined) {
    const own = cp.signatures.filter((s) => s.name === cp.origin).map((s) => s.keyId.toString('hex'));
    fail(
      `${label}: signed by key ${own.join(', ')}, but records 1..${cp.size} fall in the epoch of key ${key.keyId.toString('hex')}`,
      { checkpoint: label, seq: cp.size },
    );
  }
  if (!checkpointSignedBy(cp, key))
    fail(`${label}: the signature does not verify`, { checkpoint: label, seq: cp.size });
  if (!cp.root.equals(root)) {
    const first = sealedUpTo + 1;
    const which = first === cp.size ? `record ${cp.size} was` : `a record in ${first}..${cp.size} was`;
    fail(
      `${label}: root ${encodeBase64(cp.root)} does not match records 1..${cp.size} (computed ${encodeBase64(root)}): ${which} changed, removed or reordered`,
      { checkpoint: label, seq: first },
    );
  }
}

function checkAnchor(a: Anchor, root: Buffer, key: VerifierKey): void {
  if (a.checkpoint !== undefined) checkCheckpoint(a.checkpoint, a.label, a.root, key);
  if (!a.root.equals(root)) {
    fail(
      `fork: records 1..${a.size} differ from what ${a.label} recorded (root ${encodeBase64(a.root)}, now ${encodeBase64(root)})`,
      {
        anchor: a.label,
        seq: a.size,
      },
    );
  }
}

/** Checks one record's bytes; returns the parsed record. */
function checkRecord(bytes: Buffer, seq: number, prev: string, decoder: TextDecoder): Record<string, unknown> {
  // Node's decoder turns every invalid sequence into U+FFFD: only then is the strict decoder needed
  let text = bytes.toString('utf8');
  if (text.includes('\ufffd')) {
    try {
      text = decoder.decode(bytes);
    } catch {
      return fail(`record ${seq}: not valid UTF-8`, { seq });
    }
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return fail(`record ${seq}: not valid JSON`, { seq });
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) fail(`record ${seq}: not a JSON object`, { seq });
  const r = obj as Record<string, unknown>;
  if (Object.keys(r).length !== 5 || !('payload' in r))
    fail(`record ${seq}: must have exactly payload, prev, seq, ts, type`, { seq });
  if (r['seq'] !== seq)
    fail(`record ${seq}: has seq ${JSON.stringify(r['seq'])} (deleted, inserted or reordered records)`, { seq });
  if (r['prev'] !== prev) {
    // `prev` is '' or 64 lowercase hex digits by construction, so equality implies well-formed
    if (typeof r['prev'] !== 'string' || !(r['prev'] === '' ? seq === 1 : HEX64.test(r['prev']))) {
      fail(`record ${seq}: malformed prev`, { seq });
    }
    fail(`record ${seq}: prev does not match the hash of record ${seq - 1}`, { seq });
  }
  if (typeof r['ts'] !== 'string' || !TS.test(r['ts'])) fail(`record ${seq}: malformed ts`, { seq });
  const type = r['type'];
  if (typeof type !== 'string' || !RECORD_TYPES.has(type))
    fail(`record ${seq}: unknown type ${JSON.stringify(type)}`, { seq });
  if (!isCanonicalFast(obj, text)) {
    let canon: string;
    try {
      canon = canonicalize(obj);
    } catch (err) {
      return fail(`record ${seq}: has no canonical JSON form (${(err as Error).message})`, { seq });
    }
    if (canon !== text) {
      const dup = findDuplicateKey(text);
      if (dup !== undefined) fail(`record ${seq}: duplicate JSON key ${JSON.stringify(dup)}`, { seq });
      fail(`record ${seq}: not in canonical JSON form (RFC 8785)`, { seq });
    }
  }
  return r;
}

function rotationKey(record: Record<string, unknown>, seq: number, current: VerifierKey): VerifierKey {
  const payload = record['payload'];
  const next =
    payload !== null && typeof payload === 'object' ? (payload as Record<string, unknown>)['next_key'] : undefined;
  if (typeof next !== 'string') return fail(`record ${seq}: key rotation without a next_key`, { seq });
  const key = parseVkey(next);
  if (typeof key === 'string') return fail(`record ${seq}: key rotation next_key: ${key}`, { seq });
  if (key.name !== current.name) fail(`record ${seq}: key rotation to a key for another origin`, { seq });
  if (key.keyId.equals(current.keyId)) fail(`record ${seq}: key rotation to the same key`, { seq });
  return key;
}

/**
 * Sufficient (not necessary) test for RFC 8785 form, several times faster than canonicalize():
 * JSON.stringify reproduces the text exactly (so numbers, escapes and key order are what ES
 * serialization gives, and no key was duplicated) and every object's keys are in UTF-16 order.
 * Lone surrogates (escaped as \udXXX by both) and integer-like keys (which JS reorders) fall
 * back to the full check.
 */
function isCanonicalFast(obj: unknown, text: string): boolean {
  return JSON.stringify(obj) === text && !text.includes('\\ud') && keysSorted(obj);
}

function keysSorted(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return true;
  if (Array.isArray(v)) {
    for (const x of v) if (!keysSorted(x)) return false;
    return true;
  }
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length; i++) {
    if (i > 0 && !(keys[i - 1]! < keys[i]!)) return false;
    if (!keysSorted((v as Record<string, unknown>)[keys[i]!])) return false;
  }
  return true;
}
