/**
 * Witness cosigning (C2SP tlog-cosignature, cosignature/v1): the hub countersigns a host's ledger
 * checkpoint once it has checked that the checkpoint extends, by an RFC 6962 consistency proof,
 * the last one it cosigned for that host. Pure functions; no PostgreSQL, no I/O.
 *
 *   signed message = "cosignature/v1\ntime <t>\n" || checkpoint body
 *   signature line = "— <witness name> " base64(key id[4] || t as uint64 big-endian || Ed25519 sig[64])
 *   key id         = SHA-256(name || 0x0A || 0x04 || public key)[:4]
 *   vkey           = <name>+<hex key id>+base64(0x04 || public key)
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { decodeBase64Strict, encodeBase64 } from '../ledger/b64.js';
import { verifyConsistency } from '../ledger/merkle.js';
import { isValidOrigin, rawPublicKey, signatureBy, type SignedCheckpoint } from '../ledger/note.js';

const COSIG_ALG = 0x04;
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface WitnessKey {
  name: string;
  keyId: Buffer;
  publicKey: Buffer;
  key: KeyObject;
}

export function witnessKeyId(name: string, publicKey: Buffer): Buffer {
  return createHash('sha256')
    .update(name)
    .update(Buffer.from([0x0a, COSIG_ALG]))
    .update(publicKey)
    .digest()
    .subarray(0, 4);
}

export function witnessKey(name: string, key: KeyObject): WitnessKey {
  const publicKey = rawPublicKey(key.type === 'private' ? createPublicKey(key) : key);
  const pub = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
  return { name, keyId: witnessKeyId(name, publicKey), publicKey, key: pub };
}

export function formatWitnessVkey(k: WitnessKey): string {
  return `${k.name}+${k.keyId.toString('hex')}+${encodeBase64(Buffer.concat([Buffer.from([COSIG_ALG]), k.publicKey]))}`;
}

/** Parse a witness vkey strictly; a reason string when it is not one. */
export function parseWitnessVkey(text: string): WitnessKey | string {
  const m = /^([^+]*)\+([^+]*)\+(.*)$/s.exec(text.trim());
  if (m === null) return 'a witness key has the form <name>+<hex key id>+<base64 key>';
  const [, name, hex, b64] = m as unknown as [string, string, string, string];
  if (!isValidOrigin(name)) return 'the witness key name is malformed';
  if (!/^[0-9a-f]{8}$/.test(hex)) return 'the witness key id is not 8 lowercase hex digits';
  const raw = decodeBase64Strict(b64);
  if (raw === undefined || raw.length !== 33 || raw[0] !== COSIG_ALG)
    return 'the witness key is not a cosignature/v1 Ed25519 key';
  let k: WitnessKey;
  try {
    const pub = createPublicKey({
      key: Buffer.concat([SPKI_ED25519_PREFIX, raw.subarray(1)]),
      format: 'der',
      type: 'spki',
    });
    k = witnessKey(name, pub);
  } catch {
    return 'the witness key bytes are not a valid Ed25519 public key';
  }
  if (k.keyId.toString('hex') !== hex) return 'the witness key id does not match the key';
  return k;
}

function message(body: string, time: bigint): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${time}\n${body}`, 'utf8');
}

/** One cosignature line (with its trailing newline) over `body` at `time` (seconds since the epoch). */
export function cosignatureLine(body: string, privateKey: KeyObject, k: WitnessKey, time: bigint): string {
  const t = Buffer.alloc(8);
  t.writeBigUInt64BE(time);
  const sig = sign(null, message(body, time), privateKey);
  return `\u2014 ${k.name} ${encodeBase64(Buffer.concat([k.keyId, t, sig]))}\n`;
}

/** Does the checkpoint carry a valid cosignature by `k`? */
export function cosignedBy(c: SignedCheckpoint, k: WitnessKey): boolean {
  const s = signatureBy(c, k);
  if (s === undefined || s.signature.length !== 72) return false;
  const time = s.signature.readBigUInt64BE(0);
  try {
    return verify(null, message(c.body, time), k.key, s.signature.subarray(8));
  } catch {
    return false;
  }
}

export interface Seen {
  size: number;
  root: Buffer;
}

/**
 * Does `next` extend `prev` (the last checkpoint the witness cosigned for this log)? A reason
 * string when it does not: a smaller tree, another root at the same size, or a proof that fails.
 */
export function consistencyFailure(prev: Seen | undefined, next: Seen, proof: Buffer[]): string | undefined {
  if (prev === undefined || prev.size === 0) return undefined;
  if (next.size < prev.size) return `the tree shrank from ${prev.size} to ${next.size} records`;
  if (next.size === prev.size)
    return next.root.equals(prev.root) ? undefined : `another root at size ${next.size} (the log was rewritten)`;
  if (!verifyConsistency(prev.size, next.size, prev.root, next.root, proof))
    return `no valid consistency proof from size ${prev.size} to ${next.size} (the log was rewritten)`;
  return undefined;
}
