/**
 * Approver keys: an Ed25519 key whose 32-byte seed is encrypted with AES-256-GCM under a key
 * derived from the approver's passphrase with scrypt. Runs in the approver's own process only.
 */
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  scryptSync,
  sign,
} from 'node:crypto';
import { UsageError } from '../errors.js';
import { canonicalBytes } from '../util/canonical.js';
import { decisionStatement } from './statement.js';
import { decodeBase64, publicKeyFingerprint, withoutUndefined } from './encoding.js';
import type { DecisionStatement, SignedDecision } from './types.js';

export class WrongPassphraseError extends UsageError {}

export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/** OWASP's scrypt minimum (N=2^17, r=8, p=1): about 128 MiB and a few hundred ms per unlock. */
export const DEFAULT_SCRYPT: ScryptCost = { N: 2 ** 17, r: 8, p: 1 };
const MIN_N = 2 ** 14;
const MAX_N = 2 ** 20;
const FORMAT = 'guard-approver-key';

export interface ApproverKey {
  publicKey: string;
  sign(statement: DecisionStatement): SignedDecision;
  /** Sign any canonical statement (endorsements); returns base64 signature. */
  signBytes(statement: object): string;
  /** Zero the seed; the key cannot sign afterwards. */
  dispose(): void;
}

/** The fields in front of the ciphertext. Their canonical bytes are the GCM additional data. */
interface KeyHeader {
  format: typeof FORMAT;
  v: 1;
  publicKey: string;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  cipher: { name: 'aes-256-gcm'; nonce: string };
}

interface KeyFile extends KeyHeader {
  ciphertext: string;
  tag: string;
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function deriveKey(passphrase: Buffer, kdf: KeyHeader['kdf']): Buffer {
  const salt = decodeBase64(kdf.salt);
  if (salt === undefined) throw notAKeyFile('bad salt');
  return scryptSync(passphrase, salt, 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r + 1024 * 1024 });
}

function publicFromSeed(seed: Buffer): string {
  const der = Buffer.concat([PKCS8_ED25519_PREFIX, seed]);
  try {
    const pub = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
    const jwk = pub.export({ format: 'jwk' });
    return Buffer.from(String(jwk.x), 'base64url').toString('base64');
  } finally {
    der.fill(0);
  }
}

/** Create a new approver key. `cost` is for tests and benchmarks; the default is the minimum allowed in use. */
export function createApproverKey(
  passphrase: Buffer,
  cost: ScryptCost = DEFAULT_SCRYPT,
): { publicKey: string; fingerprint: string; encrypted: string } {
  if (passphrase.length === 0) throw new UsageError('the passphrase is empty');
  const { privateKey } = generateKeyPairSync('ed25519');
  const seed = Buffer.from(String(privateKey.export({ format: 'jwk' }).d), 'base64url');
  try {
    const publicKey = publicFromSeed(seed);
    const header: KeyHeader = {
      format: FORMAT,
      v: 1,
      publicKey,
      kdf: { name: 'scrypt', ...cost, salt: randomBytes(16).toString('base64') },
      cipher: { name: 'aes-256-gcm', nonce: randomBytes(12).toString('base64') },
    };
    const key = deriveKey(passphrase, header.kdf);
    try {
      const cipher = createCipheriv('aes-256-gcm', key, Buffer.from(header.cipher.nonce, 'base64'));
      cipher.setAAD(canonicalBytes(header));
      const ciphertext = Buffer.concat([cipher.update(seed), cipher.final()]);
      const file: KeyFile = {
        ...header,
        ciphertext: ciphertext.toString('base64'),
        tag: cipher.getAuthTag().toString('base64'),
      };
      return {
        publicKey,
        fingerprint: publicKeyFingerprint(publicKey),
        encrypted: `${JSON.stringify(file, null, 2)}\n`,
      };
    } finally {
      key.fill(0);
    }
  } finally {
    seed.fill(0);
  }
}

function notAKeyFile(why: string): UsageError {
  return new UsageError(`not a valid guard approver key file (${why})`, {
    hint: 'the file must be the one `guard approver enroll` wrote; re-enroll if it is lost',
  });
}

function parseKeyFile(encrypted: string): KeyFile {
  let raw: unknown;
  try {
    raw = JSON.parse(encrypted);
  } catch {
    throw notAKeyFile('not JSON');
  }
  const f = raw as Partial<KeyFile> | null;
  if (f === null || typeof f !== 'object' || f.format !== FORMAT || f.v !== 1) throw notAKeyFile('unknown format');
  const kdf = f.kdf;
  if (kdf?.name !== 'scrypt' || ![kdf.N, kdf.r, kdf.p].every((n) => Number.isSafeInteger(n) && n > 0))
    throw notAKeyFile('bad kdf');
  // Bound the cost: a file cannot make us allocate gigabytes, nor claim a trivially weak KDF.
  if (kdf.N < MIN_N || kdf.N > MAX_N || (kdf.N & (kdf.N - 1)) !== 0 || kdf.r > 32 || kdf.p > 16)
    throw notAKeyFile('kdf cost out of range');
  if (f.cipher?.name !== 'aes-256-gcm' || decodeBase64(String(f.cipher.nonce), 12) === undefined)
    throw notAKeyFile('bad cipher');
  if (typeof f.publicKey !== 'string' || decodeBase64(f.publicKey, 32) === undefined)
    throw notAKeyFile('bad public key');
  if (decodeBase64(String(f.tag), 16) === undefined || decodeBase64(String(f.ciphertext), 32) === undefined)
    throw notAKeyFile('bad ciphertext');
  return f as KeyFile;
}

/** Decrypt a key file. A wrong passphrase and an altered file both fail the GCM tag check. */
export function unlockApproverKey(encrypted: string, passphrase: Buffer): ApproverKey {
  const f = parseKeyFile(encrypted);
  const header: KeyHeader = {
    format: f.format,
    v: f.v,
    publicKey: f.publicKey,
    kdf: { name: 'scrypt', N: f.kdf.N, r: f.kdf.r, p: f.kdf.p, salt: f.kdf.salt },
    cipher: { name: 'aes-256-gcm', nonce: f.cipher.nonce },
  };
  const key = deriveKey(passphrase, header.kdf);
  let seed: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(f.cipher.nonce, 'base64'));
    decipher.setAAD(canonicalBytes(header));
    decipher.setAuthTag(Buffer.from(f.tag, 'base64'));
    seed = Buffer.concat([decipher.update(Buffer.from(f.ciphertext, 'base64')), decipher.final()]);
  } catch {
    throw new WrongPassphraseError('wrong passphrase, or the approver key file was altered', {
      hint: 'type the passphrase you chose at `guard approver enroll`',
    });
  } finally {
    key.fill(0);
  }
  if (publicFromSeed(seed) !== f.publicKey) {
    seed.fill(0);
    throw notAKeyFile('the private key does not match the public key');
  }
  return keyFromSeed(seed, f.publicKey);
}

function keyFromSeed(seed: Buffer, publicKey: string): ApproverKey {
  let live = true;
  const signBytes = (statement: object): string => {
    if (!live) throw new UsageError('this approver key was disposed');
    const der = Buffer.concat([PKCS8_ED25519_PREFIX, seed]);
    try {
      const priv = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      return sign(null, canonicalBytes(withoutUndefined(statement)), priv).toString('base64');
    } finally {
      der.fill(0);
    }
  };
  return {
    publicKey,
    signBytes,
    sign(statement) {
      const clean = decisionStatement(statement);
      return { ...clean, signature: signBytes(clean) };
    },
    dispose() {
      live = false;
      seed.fill(0);
    },
  };
}
