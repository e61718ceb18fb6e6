/**
 * The ledger database file on this host, read-only: open it, read its genesis key, verify it
 * against a pinned key. `guard ledger pubkey|show|verify` and `guard init`/`doctor` share these.
 */
import { existsSync, readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { openReadOnly, readMeta, type Db } from './db.js';
import { TrustAnchorError, VerifyFailedError } from './errors.js';
import { Frontier, leafHash } from './merkle.js';
import type { VerifierKey } from './note.js';
import { parsePubkeyFile } from './pubkey.js';
import { snapshotFile, verifyDbFile } from './snapshot.js';
import type { Anchor, VerifyResult } from './verify.js';

export const VERIFY_USAGE =
  'usage: guard ledger verify (BUNDLE | --db PATH) --pubkey FILE [--state FILE] [--witness VKEY]... [--json]';

/** Open the ledger read-only; a missing file is a usage error that says where guard looked. */
export function openForReading(path: string): Db {
  if (!existsSync(path)) {
    throw new UsageError(`no ledger at ${path}`, {
      hint: 'the daemon creates it on first use; pass --db PATH to read another one',
    });
  }
  return openReadOnly(path);
}

/** The ledger's genesis public key (a usage error when the file or its key does not exist yet). */
export function genesisKeyOf(path: string): string {
  const db = openForReading(path);
  try {
    const meta = readMeta(db);
    if (meta === undefined)
      throw new UsageError(`the ledger at ${path} has no key yet`, { hint: 'start the daemon once to create it' });
    return meta.genesisKey;
  } finally {
    db.close();
  }
}

export function readOrAnchorError(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new TrustAnchorError(`cannot read ${what} ${path}: ${(err as Error).message}`, { hint: VERIFY_USAGE });
  }
}

/** The pinned genesis key file (`guard ledger pubkey --out`), or a TrustAnchorError naming the problem. */
export function loadPinnedKey(path: string): VerifierKey {
  const key = parsePubkeyFile(readOrAnchorError(path, 'the public key file').toString('latin1'));
  if (typeof key === 'string')
    throw new TrustAnchorError(`${path}: ${key}`, {
      hint: 'use the file written by `guard ledger pubkey --out`',
    });
  return key;
}

/** Verify a ledger database file, then re-check the step-up logins its approvals carry. */
export async function verifyLedgerDb(db: string, trusted: VerifierKey, anchors: Anchor[]): Promise<VerifyResult> {
  if (!existsSync(db)) throw new TrustAnchorError(`no ledger database at ${db}`, { hint: VERIFY_USAGE });
  let result: VerifyResult;
  try {
    result = verifyDbFile(db, trusted, anchors);
  } catch (err) {
    if (err instanceof VerifyFailedError) throw err;
    throw new VerifyFailedError(`the database cannot be read: ${(err as Error).message}`, { cause: err });
  }
  await checkStepUps(snapshotFile(db).records.slice(0, result.size), result.root);
  return result;
}

/**
 * Step-up approvals (level 3) carry the IdP's ID token and JWKS: re-check each offline. The records
 * read here must be the ones just verified (same Merkle root), else the check proves nothing.
 */
async function checkStepUps(records: Buffer[], root: Buffer): Promise<void> {
  const tree = new Frontier();
  for (const r of records) tree.append(leafHash(r));
  if (!tree.root().equals(root)) throw new VerifyFailedError('the ledger changed while it was being verified');
  const { firstStepUpFailure } = await import('../identity/step-up.js');
  const bad = await firstStepUpFailure(records);
  if (bad !== undefined)
    throw new VerifyFailedError(
      `record ${bad.seq}: the step-up login of this approval does not verify: ${bad.reason}`,
      {
        details: { seq: bad.seq },
      },
    );
}
