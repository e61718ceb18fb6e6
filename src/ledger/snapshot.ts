/** A consistent read of a ledger database (one read transaction): records, checkpoints, meta. */
import { existsSync } from 'node:fs';
import { checkpointNoteColumn } from './cosignatures.js';
import { openReadOnly, readMeta, type Db, type Meta } from './db.js';
import { VerifyFailedError } from './errors.js';
import type { VerifierKey } from './note.js';
import { LedgerVerifier, type Anchor, type CheckpointInput, type VerifyResult } from './verify.js';

export interface LedgerSnapshot {
  meta: Meta | undefined;
  records: Buffer[];
  checkpoints: CheckpointInput[];
}

export function checkpointLabel(size: number): string {
  return `checkpoint at size ${size}`;
}

export function readSnapshot(db: Db): LedgerSnapshot {
  return db
    .transaction(() => {
      const rows = db.prepare('SELECT seq, bytes FROM records ORDER BY seq').raw().all() as [number, Buffer][];
      const records: Buffer[] = [];
      for (const [seq, bytes] of rows) {
        if (seq !== records.length + 1) {
          throw new VerifyFailedError(
            `record ${records.length + 1}: missing from the database (next stored seq is ${seq})`,
            {
              details: { seq: records.length + 1 },
            },
          );
        }
        if (!Buffer.isBuffer(bytes))
          throw new VerifyFailedError(`record ${seq}: stored value is not bytes`, { details: { seq } });
        records.push(bytes);
      }
      const cps = db
        .prepare(`SELECT c.size, ${checkpointNoteColumn(db)} FROM checkpoints c ORDER BY c.size`)
        .raw()
        .all() as [number, unknown][];
      const checkpoints = cps.map(([size, note]) => ({
        label: checkpointLabel(size),
        text: typeof note === 'string' ? note : '',
      }));
      return { meta: readMeta(db), records, checkpoints };
    })
    .deferred();
}

/** Open a ledger file read-only and snapshot it; a missing or unreadable file is a usage problem for the caller. */
export function snapshotFile(path: string): LedgerSnapshot {
  if (!existsSync(path)) throw new Error(`no ledger database at ${path}`);
  const db = openReadOnly(path);
  try {
    return readSnapshot(db);
  } finally {
    db.close();
  }
}

/**
 * Stream a ledger database through a verifier in one read transaction: records and the checkpoints
 * they reach are read page by page, so memory stays flat in the ledger's size.
 */
export function verifyDbFile(path: string, trusted: VerifierKey, anchors: Anchor[] = []): VerifyResult {
  if (!existsSync(path)) throw new Error(`no ledger database at ${path}`);
  const db = openReadOnly(path);
  const PAGE = 10_000;
  try {
    return db
      .transaction(() => {
        const v = new LedgerVerifier({ checkpoints: [], trusted, anchors });
        const recs = db.prepare('SELECT seq, bytes FROM records WHERE seq > ? ORDER BY seq LIMIT ?').raw();
        const cps = db
          .prepare(
            `SELECT c.size, ${checkpointNoteColumn(db)} FROM checkpoints c WHERE c.size > ? AND c.size <= ? ORDER BY c.size`,
          )
          .raw();
        let expected = 1;
        for (;;) {
          const page = recs.all(expected - 1, PAGE) as [number, unknown][];
          const last = page.length === 0 ? Number.MAX_SAFE_INTEGER : page[page.length - 1]![0];
          for (const [size, note] of cps.all(expected - 1, last) as [number, unknown][])
            v.addCheckpoint({ label: checkpointLabel(size), text: typeof note === 'string' ? note : '' });
          if (page.length === 0) break;
          for (const [seq, bytes] of page) {
            if (seq !== expected)
              throw new VerifyFailedError(`record ${expected}: missing from the database (next stored seq is ${seq})`, {
                details: { seq: expected },
              });
            if (!Buffer.isBuffer(bytes))
              throw new VerifyFailedError(`record ${seq}: stored value is not bytes`, { details: { seq } });
            v.push(bytes);
            expected++;
          }
        }
        return v.finish();
      })
      .deferred();
  } finally {
    db.close();
  }
}
