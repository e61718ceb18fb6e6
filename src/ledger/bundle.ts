/**
 * Export bundles: one ustar file holding
 *   VERIFY                 how to verify (text)
 *   MANIFEST               format, origin, size and the SHA-256 of every other file
 *   records                each record's canonical bytes, one per line (canonical JSON has no raw newline)
 *   checkpoints/<size>     the final checkpoint and every key-rotation hand-over checkpoint
 *   previous/checkpoint    the previous export's final checkpoint        (with --since-checkpoint)
 *   previous/proof         RFC 6962 consistency proof from it to this one (with --since-checkpoint)
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { TextDecoder } from 'node:util';
import { decodeBase64Strict, encodeBase64 } from './b64.js';
import { VerifyFailedError } from './errors.js';
import { parseCheckpoint, type SignedCheckpoint, type VerifierKey } from './note.js';
import { bufferSource, indexTar, writeTar, type ByteSource, type TarEntry, type TarIndexEntry } from './tar.js';
import { LedgerVerifier, type Anchor, type CheckpointInput, type VerifiedRecord, type VerifyResult } from './verify.js';

export const BUNDLE_FORMAT = 'guard-ledger-bundle 1';
const MAX_PROOF = 128;

export interface BundleParts {
  origin: string;
  records: Buffer[];
  checkpoints: { size: number; text: string }[];
  previous?: { checkpoint: string; proof: Buffer[] };
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function verifyText(origin: string, size: number): string {
  return `This is a guard ledger export: ${size} records of the ledger ${origin}.

Verify it offline with the genesis public key you pinned beforehand (never a key sent with it):

  guard ledger verify THIS-FILE --pubkey PINNED-KEY-FILE --state STATE-FILE

Exit 0: intact. Exit 1: altered or incomplete (the reason names the record or checkpoint).
Exit 2: bad usage or unusable trust anchor. --state keeps the last verified size and root so a
later rollback, fork or truncation is caught.

FORMAT (enough to write an independent verifier; guard's docs/ledger.md has every payload)

Files: a tar archive (any standard writer; order free) holding
  MANIFEST   "guard-ledger-bundle 1\n", "origin <origin>\n", "size <n>\n", then for every other
             file one line "sha256 <64 lowercase hex> <byte length> <name>\n".
  records    the n records, each followed by one "\n" (the newline is framing, not record bytes).
  checkpoints/<size>   signed checkpoints: the final one (size n) and one per key rotation.
  previous/checkpoint, previous/proof   optional: an earlier export's checkpoint and the RFC 9162
             consistency proof "consistency <m> <n>\n" then one base64 hash per line.
Record i (from 1): canonical JSON (RFC 8785) of {"payload":{...},"prev":P,"seq":i,"ts":T,"type":Y}:
  T = UTC time "YYYY-MM-DDTHH:MM:SS.mmmZ"; P = "" for record 1, else the previous record's leaf
  hash as 64 lowercase hex digits; leaf hash = SHA-256(0x00 || record bytes) (RFC 6962).
Tree: RFC 6962 Merkle tree over the leaf hashes; node = SHA-256(0x01 || left || right).
Checkpoint (C2SP signed note): "<origin>\n<size>\n<base64 root>\n\n" then signature lines
  "\u2014 <name> <base64(4-byte key id || 64-byte Ed25519 signature over the first three lines)>\n".
  Lines by other names (witness cosignatures) are ignored. Key id = first 4 bytes of
  SHA-256(name || 0x0A || 0x01 || 32-byte public key). Pinned key file: "#" comment lines and one
  line "<origin>+<hex key id>+<base64(0x01 || public key)>".
Keys: records 1..k are sealed by the pinned key until a "key_rotation" record at seq r announces
  payload.next_key (same vkey form); checkpoints/<r> must verify under the previous key, and every
  checkpoint of size > r under the announced key.
Check: MANIFEST digests and lengths, n records, seq = position, prev chain, canonical form, the
  root at every checkpoint, each checkpoint's signature under the key of its epoch, the final
  checkpoint at size n, and the consistency proof when present.
`;
}

export function buildBundle(parts: BundleParts): Buffer {
  const size = parts.records.length;
  const files: TarEntry[] = [
    { name: 'VERIFY', data: Buffer.from(verifyText(parts.origin, size)) },
    { name: 'records', data: Buffer.concat(parts.records.flatMap((r) => [r, Buffer.from('\n')])) },
    ...parts.checkpoints.map((c) => ({ name: `checkpoints/${c.size}`, data: Buffer.from(c.text) })),
  ];
  if (parts.previous !== undefined) {
    const cp = parseCheckpoint(parts.previous.checkpoint);
    if (typeof cp === 'string') throw new Error(`previous checkpoint: ${cp}`);
    files.push({ name: 'previous/checkpoint', data: Buffer.from(parts.previous.checkpoint) });
    const proofText = `consistency ${cp.size} ${size}\n${parts.previous.proof.map((h) => `${encodeBase64(h)}\n`).join('')}`;
    files.push({ name: 'previous/proof', data: Buffer.from(proofText) });
  }
  const manifest = `${BUNDLE_FORMAT}\norigin ${parts.origin}\nsize ${size}\n${files.map((f) => `sha256 ${sha256(f.data)} ${f.data.length} ${f.name}\n`).join('')}`;
  return writeTar([files[0]!, { name: 'MANIFEST', data: Buffer.from(manifest) }, ...files.slice(1)]);
}

function fail(message: string, details: Record<string, unknown> = {}): never {
  throw new VerifyFailedError(message, {
    details,
    hint: 'the bundle was altered, substituted or torn; do not rely on it',
  });
}

export interface BundleVerifyResult extends VerifyResult {
  previousSize: number | undefined;
}

/** Verify a bundle's bytes against a pinned key (and optional state anchor). Throws VerifyFailedError. */
export function verifyBundle(buf: Buffer, trusted: VerifierKey, anchors: Anchor[] = []): BundleVerifyResult {
  return verifyBundleSource(bufferSource(buf), trusted, anchors);
}

/** Verify a bundle file without loading it: memory stays flat in the number of records. */
export function verifyBundleFile(
  path: string,
  trusted: VerifierKey,
  anchors: Anchor[] = [],
  onRecord?: (r: VerifiedRecord, bytes: Buffer) => void,
): BundleVerifyResult {
  return withFileSource(path, (src) => verifyBundleSource(src, trusted, anchors, onRecord));
}

/** Open a file as a ByteSource for the duration of `fn`. */
export function withFileSource<T>(path: string, fn: (src: ByteSource) => T): T {
  const fd = openSync(path, 'r');
  const readInto = (b: Buffer, at: number, offset: number, len: number): void => {
    let got = 0;
    while (got < len) {
      const n = readSync(fd, b, at + got, len - got, offset + got);
      if (n === 0) throw new Error('the bundle changed while it was read');
      got += n;
    }
  };
  try {
    const length = fstatSync(fd).size;
    return fn({
      length,
      read(offset, len) {
        const b = Buffer.allocUnsafe(len);
        readInto(b, 0, offset, len);
        return b;
      },
      readInto,
    });
  } finally {
    closeSync(fd);
  }
}

/** Small files (everything but `records`) are read whole; anything larger than this is refused. */
const MAX_SMALL_FILE = 1 << 20;
const CHUNK = 1 << 22;

/** The bundle's small files and where `records` lies, after MANIFEST and digests of the small files check. */
export interface BundleLayout {
  manifest: { origin: string; size: number; files: Map<string, { digest: string; length: number }> };
  files: Map<string, Buffer>;
  records: TarIndexEntry;
}

export function readBundleLayout(src: ByteSource, trusted: VerifierKey): BundleLayout {
  const index = indexTar(src);
  if (typeof index === 'string') fail(`bundle: ${index}`);
  const files = new Map<string, Buffer>();
  let records: TarIndexEntry | undefined;
  for (const e of index) {
    if (e.name === 'records') records = e;
    else if (e.size > MAX_SMALL_FILE) fail(`bundle: ${e.name} is too large`);
    else files.set(e.name, src.read(e.offset, e.size));
  }
  const manifest = files.get('MANIFEST');
  if (manifest === undefined) fail('bundle: MANIFEST is missing');
  const listed = parseManifest(manifest.toString('latin1'));
  if (listed.origin !== trusted.name)
    fail(
      `bundle: MANIFEST origin ${JSON.stringify(listed.origin)} is not the pinned origin ${JSON.stringify(trusted.name)}`,
    );
  for (const e of index)
    if (e.name !== 'MANIFEST' && !listed.files.has(e.name)) fail(`bundle: ${e.name} is not listed in MANIFEST`);
  for (const [name, { digest, length }] of listed.files) {
    if (name === 'records') continue;
    const data = files.get(name);
    if (data === undefined) fail(`bundle: ${name} is listed in MANIFEST but missing`);
    if (data.length !== length || sha256(data) !== digest)
      fail(`bundle: ${name} does not match its MANIFEST digest (file substituted or altered)`, { file: name });
  }
  if (records === undefined) fail('bundle: records is missing');
  const want = listed.files.get('records');
  if (want === undefined) fail('bundle: records is not listed in MANIFEST');
  if (want.length !== records.size)
    fail('bundle: records does not match its MANIFEST digest (file substituted or altered)', { file: 'records' });
  return { manifest: listed, files, records };
}

let spareRead: WeakRef<Buffer> | undefined;

/**
 * Stream the records of `entry` to `fn`, returning the SHA-256 (hex) of the whole entry. One buffer
 * is reused for every chunk (memory stays flat however large the file): `bytes` is only valid
 * during the call; copy it to keep it.
 */
export function streamRecords(src: ByteSource, entry: TarIndexEntry, fn: (bytes: Buffer) => void): string {
  // the last call's buffer is reused if the GC has not taken it (a pack streams each bundle twice);
  // a nested call finds none and gets its own
  const want = Math.min(CHUNK * 2, entry.size);
  const prior = spareRead?.deref();
  spareRead = undefined;
  let buf = prior !== undefined && prior.length >= want ? prior : Buffer.allocUnsafe(want);
  const hash = createHash('sha256');
  let carry = 0;
  for (let pos = 0; pos < entry.size; pos += CHUNK) {
    const len = Math.min(CHUNK, entry.size - pos);
    if (carry + len > buf.length) {
      // a record longer than the buffer so far: grow to hold it and the next chunk
      const bigger = Buffer.allocUnsafe(Math.max(carry + len, buf.length * 2));
      buf.copy(bigger, 0, 0, carry);
      buf = bigger;
    }
    if (src.readInto !== undefined) src.readInto(buf, carry, entry.offset + pos, len);
    else src.read(entry.offset + pos, len).copy(buf, carry);
    const end = carry + len;
    hash.update(buf.subarray(carry, end));
    const data = buf.subarray(0, end);
    let start = 0;
    for (let i = data.indexOf(0x0a, carry); i !== -1; i = data.indexOf(0x0a, start)) {
      fn(data.subarray(start, i));
      start = i + 1;
    }
    buf.copy(buf, 0, start, end);
    carry = end - start;
  }
  if (carry > 0) fail('bundle: records does not end with a newline (torn export)');
  if (buf.length <= CHUNK * 2) spareRead = new WeakRef(buf);
  return hash.digest('hex');
}

export function verifyBundleSource(
  src: ByteSource,
  trusted: VerifierKey,
  anchors: Anchor[] = [],
  onRecord?: (r: VerifiedRecord, bytes: Buffer) => void,
): BundleVerifyResult {
  const { manifest: listed, files, records } = readBundleLayout(src, trusted);
  const checkpoints: CheckpointInput[] = [];
  for (const [name, data] of files) {
    const m = /^checkpoints\/([1-9][0-9]{0,15})$/.exec(name);
    if (m !== null) {
      checkpoints.push({ label: name, text: utf8(data) });
      const cp = parseCheckpoint(utf8(data));
      if (typeof cp !== 'string' && cp.size !== Number(m[1]))
        fail(`${name}: holds the checkpoint for size ${cp.size}`, { checkpoint: name });
    } else if (!['MANIFEST', 'VERIFY', 'previous/checkpoint', 'previous/proof'].includes(name)) {
      fail(`bundle: unexpected file ${name}`);
    }
  }
  const previous = readPrevious(files, listed.size);
  const verifier = new LedgerVerifier({
    checkpoints,
    trusted,
    anchors: previous === undefined ? anchors : [...anchors, previous],
  });
  // A record that fails is reported after the whole file is hashed: a digest mismatch (the file was
  // altered after export) is the more precise reason and takes precedence.
  let failed: Error | undefined;
  let count = 0;
  const digest = streamRecords(src, records, (bytes) => {
    count++;
    if (failed !== undefined) return;
    try {
      const r = verifier.push(bytes);
      onRecord?.(r, bytes);
    } catch (err) {
      failed = err instanceof Error ? err : new Error(String(err));
    }
  });
  if (digest !== listed.files.get('records')!.digest)
    fail('bundle: records does not match its MANIFEST digest (file substituted or altered)', { file: 'records' });
  if (count !== listed.size) fail(`bundle: records holds ${count} records, MANIFEST says ${listed.size}`);
  if (failed !== undefined) throw failed;
  const result = verifier.finish();
  return { ...result, previousSize: previous?.size };
}

/** Strict UTF-8 (invalid bytes become U+FFFD, which no checkpoint line accepts). */
function utf8(b: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(b);
  } catch {
    return '\ufffd';
  }
}

function parseManifest(text: string): {
  origin: string;
  size: number;
  files: Map<string, { digest: string; length: number }>;
} {
  const lines = text.split('\n');
  if (lines.pop() !== '' || lines[0] !== BUNDLE_FORMAT) fail(`bundle: MANIFEST is not a ${BUNDLE_FORMAT} manifest`);
  const origin = /^origin (\S+)$/.exec(lines[1] ?? '')?.[1];
  const sizeText = /^size (0|[1-9][0-9]{0,15})$/.exec(lines[2] ?? '')?.[1];
  if (origin === undefined || sizeText === undefined) fail('bundle: MANIFEST origin or size line is malformed');
  const files = new Map<string, { digest: string; length: number }>();
  for (const line of lines.slice(3)) {
    const m = /^sha256 ([0-9a-f]{64}) (0|[1-9][0-9]{0,15}) (\S+)$/.exec(line);
    if (m === null || m[3] === 'MANIFEST' || files.has(m[3]!))
      fail(`bundle: MANIFEST line ${JSON.stringify(line.slice(0, 120))} is malformed`);
    files.set(m[3]!, { digest: m[1]!, length: Number(m[2]) });
  }
  return { origin, size: Number(sizeText), files };
}

function readPrevious(files: Map<string, Buffer>, n: number): Anchor | undefined {
  const cpData = files.get('previous/checkpoint');
  const proofData = files.get('previous/proof');
  if (cpData === undefined && proofData === undefined) return undefined;
  if (cpData === undefined || proofData === undefined)
    fail('bundle: previous/checkpoint and previous/proof come together');
  const cp: SignedCheckpoint | string = parseCheckpoint(utf8(cpData));
  if (typeof cp === 'string') fail(`previous/checkpoint: ${cp}`, { checkpoint: 'previous/checkpoint' });
  const lines = proofData.toString('latin1').split('\n');
  if (lines.pop() !== '' || lines[0] !== `consistency ${cp.size} ${n}` || lines.length - 1 > MAX_PROOF) {
    fail('previous/proof: malformed (expected "consistency <previous size> <size>" and base64 hashes)');
  }
  const proof = lines.slice(1).map((l, i) => {
    const h = decodeBase64Strict(l);
    if (h === undefined || h.length !== 32) fail(`previous/proof: line ${i + 2} is not a strict base64 SHA-256 hash`);
    return h;
  });
  return { label: 'previous/checkpoint', size: cp.size, root: cp.root, checkpoint: cp, proof };
}
