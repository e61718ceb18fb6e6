/** Opening steps before the writer exists: create or read the ledger's metadata and its key store. */
import { randomBytes } from 'node:crypto';
import { openKeyStore, type KeyStore, type KeyStoreKind } from '../keys/index.js';
import { readMeta, type Db, type Meta } from './db.js';
import { LedgerCorruptError, LedgerKeyError, LedgerWriteError } from './errors.js';
import { isValidOrigin } from './note.js';
import { generateSigner, keyName, type Signer } from './signer.js';
import type { OpenLedgerOptions } from './ledger.js';

/** For a new ledger: generate the genesis key, store it, then record origin, key and store kind. */
export async function prepareLedger(
  db: Db,
  opts: OpenLedgerOptions,
): Promise<{ meta: Meta; store: KeyStore; fresh?: Signer }> {
  let meta = readMeta(db);
  let store: KeyStore;
  let fresh: Signer | undefined;
  if (meta === undefined) {
    const origin = opts.origin ?? `guard.ledger/${randomBytes(8).toString('hex')}`;
    if (!isValidOrigin(origin))
      throw new LedgerWriteError(`invalid ledger origin ${JSON.stringify(origin)}: printable ASCII, no spaces or '+'`);
    store = await keyStore(opts);
    const { signer, secret } = generateSigner(origin);
    await store.put(keyName(origin, signer.keyIdHex), secret);
    db.transaction(() => {
      if (readMeta(db) !== undefined) return;
      const ins = db.prepare('INSERT INTO meta (k, v) VALUES (?, ?)');
      ins.run('format', 'guard-ledger/1');
      ins.run('origin', origin);
      ins.run('genesis_key', signer.vkey);
      ins.run('key_store', store.kind);
      ins.run('created', new Date().toISOString());
    }).immediate();
    meta = readMeta(db)!;
    if (meta.genesisKey === signer.vkey) fresh = signer;
    else await store.delete(keyName(origin, signer.keyIdHex)); // another process created the ledger first
  } else {
    if (opts.origin !== undefined && opts.origin !== meta.origin) {
      throw new LedgerWriteError(`the ledger's origin is ${meta.origin}, not ${opts.origin}`);
    }
    if (meta.keyStore !== 'file' && meta.keyStore !== 'keychain')
      throw new LedgerCorruptError(`unknown key store kind ${meta.keyStore}`);
    store = await keyStore(opts, meta.keyStore);
  }
  return fresh === undefined ? { meta, store } : { meta, store, fresh };
}

async function keyStore(opts: OpenLedgerOptions, kind?: KeyStoreKind): Promise<KeyStore> {
  try {
    return await openKeyStore({
      env: opts.env,
      ...(kind === undefined ? {} : { kind }),
      ...(opts.warn === undefined ? {} : { warn: opts.warn }),
    });
  } catch (err) {
    throw new LedgerKeyError(`the ${kind ?? 'requested'} key store is unavailable: ${(err as Error).message}`, {
      cause: err,
      hint:
        kind === 'keychain'
          ? 'this ledger keeps its key in the OS keychain: run guard where that keychain is unlocked'
          : undefined,
    });
  }
}

export function checkIntegrity(db: Db, path: string): void {
  const result = db.pragma('integrity_check', { simple: false }) as { integrity_check: string }[];
  const lines = result.map((r) => r.integrity_check);
  if (lines.length !== 1 || lines[0] !== 'ok') {
    throw new LedgerCorruptError(
      `the ledger at ${path} failed its integrity check after an unclean shutdown: ${lines.slice(0, 3).join('; ')}`,
      {
        hint: 'appends are refused; keep the file for investigation and run `guard ledger verify --db`',
      },
    );
  }
}
