/**
 * The ledger database: schema, pragmas and the few statements everything else uses.
 * `records` holds each record's exact canonical bytes; `checkpoints` holds the signed checkpoint
 * text (the evidence) plus a writer cache (tree frontier, last hash, epoch) that verification
 * never trusts. Triggers refuse UPDATE and DELETE (against bugs, not attackers).
 */
import Database from 'better-sqlite3';
import { LedgerCorruptError, LedgerWriteError } from './errors.js';
import { messageOf } from '../errors.js';

export type Db = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS records (
  seq INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  request_id TEXT,
  bytes BLOB NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS records_request ON records(request_id) WHERE request_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_type ON records(type, seq);
CREATE TABLE IF NOT EXISTS checkpoints (
  size INTEGER PRIMARY KEY,
  note TEXT NOT NULL,
  frontier BLOB NOT NULL,
  last_hash TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  signer TEXT NOT NULL,
  epoch_start INTEGER NOT NULL,
  epoch_ts TEXT NOT NULL
) STRICT;
`;

const APPEND_ONLY = ['meta', 'records', 'checkpoints']
  .flatMap((t) =>
    ['UPDATE', 'DELETE'].map(
      (op) =>
        `CREATE TRIGGER IF NOT EXISTS ${t}_no_${op.toLowerCase()} BEFORE ${op} ON ${t} BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: ${op} on ${t} refused'); END;`,
    ),
  )
  .join('\n');

export const BUSY_TIMEOUT_MS = 15_000;

export function openWritable(path: string): Db {
  try {
    const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.transaction(() => db.exec(SCHEMA + APPEND_ONLY)).immediate();
    return db;
  } catch (err) {
    throw asLedgerError(err, `cannot open the ledger at ${path}`);
  }
}

export function openReadOnly(path: string): Db {
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  return db;
}

export function isCorruption(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return (
    code === 'SQLITE_CORRUPT' ||
    code === 'SQLITE_NOTADB' ||
    (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT'))
  );
}

export function asLedgerError(err: unknown, what: string): LedgerWriteError {
  if (err instanceof LedgerWriteError) return err;
  const msg = messageOf(err);
  const code = (err as { code?: unknown }).code;
  const details = typeof code === 'string' ? { sqlite: code } : {};
  if (isCorruption(err)) {
    return new LedgerCorruptError(`${what}: the database is corrupt (${msg})`, {
      details,
      cause: err,
      hint: 'keep the file for investigation; `guard ledger verify --db` shows what is intact',
    });
  }
  const full = code === 'SQLITE_FULL' || /ENOSPC|disk is full|database or disk is full/i.test(msg);
  return new LedgerWriteError(`${what}: ${full ? 'the disk is full' : msg}`, {
    details,
    cause: err,
    hint: full ? 'free disk space; nothing partial was written' : 'nothing partial was written; see the cause above',
  });
}

export interface TipRow {
  size: number;
  frontier: Buffer;
  last_hash: string;
  epoch: number;
  /** vkey of the key that signs the next checkpoint. */
  signer: string;
  epoch_start: number;
  epoch_ts: string;
}

export interface Meta {
  origin: string;
  genesisKey: string;
  keyStore: string;
}

export function readMeta(db: Db): Meta | undefined {
  const rows = db.prepare('SELECT k, v FROM meta').all() as { k: string; v: string }[];
  const m = new Map(rows.map((r) => [r.k, r.v]));
  const origin = m.get('origin');
  const genesisKey = m.get('genesis_key');
  const keyStore = m.get('key_store');
  if (origin === undefined || genesisKey === undefined || keyStore === undefined) return undefined;
  return { origin, genesisKey, keyStore };
}
