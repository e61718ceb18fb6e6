/**
 * Checkpoints in the C2SP tlog-checkpoint / signed-note text form:
 *
 *   <origin>\n<tree size>\n<base64 root>\n\n— <key name> <base64(key id[4] || Ed25519 signature[64])>\n
 *
 * Verifier keys use the signed-note vkey form `<name>+<hex key id>+<base64(0x01 || public key)>`.
 * The key name is the ledger's origin, so a pinned key also pins the origin.
 * Parsing is strict about the body (one exact spelling, no extension lines) and follows the C2SP
 * signed-note rules for signatures: one or more signature lines, unknown keys (witness cosignatures,
 * other logs) are kept but ignored by verification; at most one line per (name, key id).
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { decodeBase64Strict, encodeBase64 } from './b64.js';

const ED25519_ALG = 0x01;
const ORIGIN = /^[\x21-\x7e]{1,200}$/;
const SIZE = /^(0|[1-9][0-9]{0,15})$/;
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface VerifierKey {
  name: string;
  /** 4-byte key id as in signed notes. */
  keyId: Buffer;
  /** Raw 32-byte Ed25519 public key. */
  publicKey: Buffer;
  key: KeyObject;
}

export interface Checkpoint {
  origin: string;
  size: number;
  root: Buffer;
}

export interface NoteSignature {
  name: string;
  /** 4-byte key id. */
  keyId: Buffer;
  /** The signature bytes after the key id. */
  signature: Buffer;
}

export interface SignedCheckpoint extends Checkpoint {
  /** The signed body (first three lines). */
  body: string;
  /** The first signature under the origin's name (the log's own); others are in `signatures`. */
  keyId: Buffer;
  signature: Buffer;
  /** Every signature line, in order (the log's own and any cosignatures). */
  signatures: NoteSignature[];
  text: string;
}

/** Go's golang.org/x/mod/sumdb/note accepts at most 100 signatures; so do we. */
const MAX_SIGNATURES = 100;

export function isValidOrigin(origin: string): boolean {
  return ORIGIN.test(origin) && !origin.includes('+');
}

export function keyIdOf(name: string, publicKey: Buffer): Buffer {
  return createHash('sha256')
    .update(name)
    .update(Buffer.from([0x0a, ED25519_ALG]))
    .update(publicKey)
    .digest()
    .subarray(0, 4);
}

export function rawPublicKey(key: KeyObject): Buffer {
  const der = key.export({ type: 'spki', format: 'der' });
  return Buffer.from(der.subarray(der.length - 32));
}

export function verifierKey(name: string, publicKey: Buffer): VerifierKey {
  const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
  return { name, keyId: keyIdOf(name, publicKey), publicKey, key };
}

export function formatVkey(k: Pick<VerifierKey, 'name' | 'keyId' | 'publicKey'>): string {
  return `${k.name}+${k.keyId.toString('hex')}+${encodeBase64(Buffer.concat([Buffer.from([ED25519_ALG]), k.publicKey]))}`;
}

/** Parse a vkey strictly; returns a reason string when it is not one. */
export function parseVkey(text: string): VerifierKey | string {
  const m = /^([^+]*)\+([^+]*)\+(.*)$/s.exec(text);
  if (m === null) return 'a verifier key has the form <name>+<hex key id>+<base64 key>';
  const [, name, hex, b64] = m as unknown as [string, string, string, string];
  if (!isValidOrigin(name)) return 'the key name is not a valid origin';
  if (!/^[0-9a-f]{8}$/.test(hex)) return 'the key id is not 8 lowercase hex digits';
  const raw = decodeBase64Strict(b64);
  if (raw === undefined) return 'the key is not strict base64';
  if (raw.length !== 33 || raw[0] !== ED25519_ALG) return 'the key is not an Ed25519 key';
  const publicKey = Buffer.from(raw.subarray(1));
  let vk: VerifierKey;
  try {
    vk = verifierKey(name, publicKey);
  } catch {
    return 'the key bytes are not a valid Ed25519 public key';
  }
  if (vk.keyId.toString('hex') !== hex) return 'the key id does not match the key';
  return vk;
}

export function checkpointBody(c: Checkpoint): string {
  return `${c.origin}\n${c.size}\n${encodeBase64(c.root)}\n`;
}

/** Sign a checkpoint; `name`/`publicKey` identify the signer as in its vkey. */
export function signCheckpoint(
  c: Checkpoint,
  privateKey: KeyObject,
  signer: Pick<VerifierKey, 'name' | 'keyId'>,
): string {
  const body = checkpointBody(c);
  const sig = sign(null, Buffer.from(body, 'utf8'), privateKey);
  return `${body}\n\u2014 ${signer.name} ${encodeBase64(Buffer.concat([signer.keyId, sig]))}\n`;
}

/**
 * Parse a signed checkpoint: the three body lines, a blank line, then one or more signature lines
 * `— <name> <base64(key id || signature)>`. At least one must be under the origin's name with an
 * Ed25519-sized signature (68 bytes); lines under other names may carry any signature length ≥ 5
 * bytes (other algorithms, timestamped cosignatures). Returns a reason string on failure.
 */
export function parseCheckpoint(text: string): SignedCheckpoint | string {
  if (text.length > 16384) return 'checkpoint is too long';
  if (!text.endsWith('\n')) return 'checkpoint does not end with a newline';
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 5) return `checkpoint has ${lines.length} lines, expected at least 5`;
  const [origin, sizeText, rootText, blank] = lines as [string, string, string, string];
  if (!isValidOrigin(origin)) return 'checkpoint origin line is malformed';
  if (!SIZE.test(sizeText)) return 'checkpoint size line is malformed';
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) return 'checkpoint size is out of range';
  const root = decodeBase64Strict(rootText);
  if (root === undefined || root.length !== 32) return 'checkpoint root is not a strict base64 SHA-256 hash';
  if (blank !== '') return 'checkpoint has extension lines (none are allowed)';
  const sigLines = lines.slice(4);
  if (sigLines.length > MAX_SIGNATURES) return `checkpoint has more than ${MAX_SIGNATURES} signature lines`;
  const signatures: NoteSignature[] = [];
  const seen = new Set<string>();
  for (const line of sigLines) {
    const m = /^\u2014 ([\x21-\x7e]+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (m === null) return 'checkpoint signature line is malformed';
    const sig = decodeBase64Strict(m[2]!);
    if (sig === undefined || sig.length < 5)
      return 'checkpoint signature is not strict base64 of a key id and signature';
    if (m[1] === origin && sig.length !== 68) return 'checkpoint signature is not strict base64 of 68 bytes';
    const id = `${m[1]!} ${sig.subarray(0, 4).toString('hex')}`;
    if (seen.has(id)) return `checkpoint has two signatures by the same key (${id})`;
    seen.add(id);
    signatures.push({ name: m[1]!, keyId: Buffer.from(sig.subarray(0, 4)), signature: Buffer.from(sig.subarray(4)) });
  }
  const own = signatures.find((s) => s.name === origin);
  if (own === undefined) return 'checkpoint is signed under a key name other than its origin';
  const body = `${origin}\n${sizeText}\n${rootText}\n`;
  return { origin, size, root, body, keyId: own.keyId, signature: own.signature, signatures, text };
}

/** The signature by `key` (name and key id), if the checkpoint carries one. */
export function signatureBy(c: SignedCheckpoint, key: Pick<VerifierKey, 'name' | 'keyId'>): NoteSignature | undefined {
  return c.signatures.find((s) => s.name === key.name && s.keyId.equals(key.keyId));
}

/** Does the checkpoint carry a valid signature by `key`? Other signature lines are ignored. */
export function checkpointSignedBy(c: SignedCheckpoint, key: VerifierKey): boolean {
  if (c.origin !== key.name) return false;
  const s = signatureBy(c, key);
  if (s === undefined || s.signature.length !== 64) return false;
  try {
    return verify(null, Buffer.from(c.body, 'utf8'), key.key, s.signature);
  } catch {
    return false;
  }
}
