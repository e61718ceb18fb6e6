/** The ledger's Ed25519 signing keys: generated here, kept in a KeyStore, parsed once per process. */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { KeyStore } from '../keys/index.js';
import { LedgerKeyError } from './errors.js';
import { formatVkey, parseVkey, rawPublicKey, verifierKey, type VerifierKey } from './note.js';

export interface Signer {
  privateKey: KeyObject;
  vk: VerifierKey;
  vkey: string;
  keyIdHex: string;
}

export function keyName(origin: string, keyIdHex: string): string {
  return `ledger-${createHash('sha256').update(origin).digest('hex').slice(0, 16)}-${keyIdHex}`;
}

export function generateSigner(origin: string): { signer: Signer; secret: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const vk = verifierKey(origin, rawPublicKey(publicKey));
  const secret = privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64');
  return { signer: { privateKey, vk, vkey: formatVkey(vk), keyIdHex: vk.keyId.toString('hex') }, secret };
}

/** Load the private key for `vkey` and check it matches (a swapped secret is refused). */
export async function loadSigner(store: KeyStore, vkey: string): Promise<Signer> {
  const vk = parseVkey(vkey);
  if (typeof vk === 'string') throw new LedgerKeyError(`the ledger's recorded key is malformed: ${vk}`);
  const keyIdHex = vk.keyId.toString('hex');
  const name = keyName(vk.name, keyIdHex);
  let secret: string | undefined;
  try {
    secret = await store.get(name);
  } catch (err) {
    throw new LedgerKeyError(
      `cannot read the ledger signing key ${keyIdHex} from the ${store.kind} key store: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  if (secret === undefined) {
    throw new LedgerKeyError(`the ledger signing key ${keyIdHex} is missing from the ${store.kind} key store`, {
      hint: 'the ledger cannot be extended without it; export and verify it, then move it aside to start a new ledger',
    });
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: Buffer.from(secret, 'base64'), format: 'der', type: 'pkcs8' });
  } catch (err) {
    throw new LedgerKeyError(`the stored ledger signing key ${keyIdHex} cannot be parsed`, { cause: err });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519' || !rawPublicKey(createPublicKey(privateKey)).equals(vk.publicKey)) {
    throw new LedgerKeyError(`the stored ledger signing key ${keyIdHex} does not match the ledger's public key`);
  }
  return { privateKey, vk, vkey, keyIdHex };
}
