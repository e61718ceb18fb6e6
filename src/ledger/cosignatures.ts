/**
 * Witness cosignatures of the ledger's checkpoints, kept in a sibling table of the ledger database
 * (`checkpoint_cosignatures`): the `checkpoints` table stays append-only and unchanged, and the
 * readers (`export`, `verify --db`) append each checkpoint's cosignature lines to its note, as the
 * extra signature lines C2SP signed notes allow (decisions 1046, 1047). One line per checkpoint
 * and witness key (name and key id); the first one stored is kept.
 */
import Database from 'better-sqlite3';
import { BUSY_TIMEOUT_MS, type Db } from './db.js';

const TABLE = `CREATE TABLE IF NOT EXISTS checkpoint_cosignatures (
  size INTEGER NOT NULL,
  witness TEXT NOT NULL,
  line TEXT NOT NULL,
  PRIMARY KEY (size, witness)
) STRICT`;

function hasTable(db: Db): boolean {
  return (
    db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'checkpoint_cosignatures'`).get() !==
    undefined
  );
}

/** `note` with the stored cosignature lines of the checkpoint at `size` (SQL over `checkpoints c`). */
export function checkpointNoteColumn(db: Db): string {
  if (!hasTable(db)) return 'c.note';
  return `c.note || coalesce((SELECT group_concat(line, '') FROM (SELECT line FROM checkpoint_cosignatures w WHERE w.size = c.size ORDER BY witness)), '')`;
}

/** Sizes that carry at least one cosignature (export includes those checkpoints). */
export function cosignedSizes(db: Db): number[] {
  if (!hasTable(db)) return [];
  return (db.prepare('SELECT DISTINCT size FROM checkpoint_cosignatures ORDER BY size').raw().all() as [number][]).map(
    ([s]) => s,
  );
}

/** The writer of cosignatures (the daemon's hub link); its own connection, beside the ledger writer's. */
export class CosignatureStore {
  private readonly db: Db;
  private readonly insert: Database.Statement;

  constructor(path: string) {
    this.db = new Database(path, { timeout: BUSY_TIMEOUT_MS, fileMustExist: true });
    this.db.exec(TABLE);
    this.insert = this.db.prepare(
      'INSERT OR IGNORE INTO checkpoint_cosignatures (size, witness, line) VALUES (?, ?, ?)',
    );
  }

  /** Stores one cosignature line (`— name base64…\n`); `witness` names its key (name and key id). */
  add(size: number, witness: string, line: string): void {
    this.insert.run(size, witness, line);
  }

  close(): void {
    this.db.close();
  }
}
