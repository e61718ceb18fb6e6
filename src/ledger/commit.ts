/**
 * One sealed transaction: BEGIN IMMEDIATE, re-read the tip (other processes may have written),
 * insert the records, insert a checkpoint signed by the epoch key, COMMIT (fsync). Synchronous.
 * `seal` computes the same rows without writing, for the writer thread (commit-thread.ts).
 */
import { LedgerCorruptError } from './errors.js';
import { Frontier, leafHash } from './merkle.js';
import { signCheckpoint } from './note.js';
import { recordBytes } from './record.js';
import type { Db, TipRow } from './db.js';
import type { Signer } from './signer.js';
import type { AppendedRecord, RecordType } from './types.js';

export interface PreparedItem {
  type: RecordType;
  payloadText: string;
  requestId: string | null;
}

/** Epoch change carried by a rotation transaction: the hand-over checkpoint is still signed by the old key. */
export interface NextEpoch {
  signer: Signer;
}

export interface RecordRow {
  seq: number;
  type: RecordType;
  requestId: string | null;
  bytes: Buffer;
}

/** `checkpoints` columns in insert order: size, note, frontier, last_hash, epoch, signer, epoch_start, epoch_ts. */
export type CheckpointRow = [number, string, Buffer, string, number, string, number, string];

/** One transaction's rows, and the tip they were sealed on (`base`: written only if it is still the tip). */
export interface Sealed {
  base: { size: number; lastHash: string };
  rows: RecordRow[];
  checkpoint: CheckpointRow;
  records: AppendedRecord[];
  tip: TipRow;
}

export type CommitOutcome = { ok: true; records: AppendedRecord[]; tip: TipRow } | { ok: false; tipSigner: string };

export class Committer {
  private readonly tipStmt;
  private readonly maxSeqStmt;
  private readonly insertRecord;
  private readonly insertCheckpoint;

  constructor(
    private readonly db: Db,
    private readonly origin: string,
    private readonly genesisKey: string,
  ) {
    this.tipStmt = db.prepare(
      'SELECT size, frontier, last_hash, epoch, signer, epoch_start, epoch_ts FROM checkpoints ORDER BY size DESC LIMIT 1',
    );
    this.maxSeqStmt = db.prepare('SELECT coalesce(max(seq), 0) AS n FROM records').pluck();
    this.insertRecord = db.prepare('INSERT INTO records (seq, type, request_id, bytes) VALUES (?, ?, ?, ?)');
    this.insertCheckpoint = db.prepare(
      'INSERT INTO checkpoints (size, note, frontier, last_hash, epoch, signer, epoch_start, epoch_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
  }

  readTip(): TipRow {
    const row = this.tipStmt.get() as TipRow | undefined;
    const tip = row ?? {
      size: 0,
      frontier: Buffer.alloc(0),
      last_hash: '',
      epoch: 0,
      signer: this.genesisKey,
      epoch_start: 0,
      epoch_ts: new Date().toISOString(),
    };
    const max = this.maxSeqStmt.get() as number;
    if (max !== tip.size) {
      throw new LedgerCorruptError(`the ledger has ${max} records but its last checkpoint covers ${tip.size}`, {
        hint: 'records were written outside guard; keep the file and run `guard ledger verify --db`',
      });
    }
    return tip;
  }

  /** Commit items sealed by `signer`; with `next`, this is a rotation and the new epoch starts after it. */
  commit(items: PreparedItem[], signer: Signer, next?: NextEpoch): CommitOutcome {
    return this.db
      .transaction((): CommitOutcome => {
        const tip = this.readTip();
        if (tip.signer !== signer.vkey) return { ok: false, tipSigner: tip.signer };
        const sealed = this.seal(tip, items, signer, next);
        for (const r of sealed.rows) this.insertRecord.run(r.seq, r.type, r.requestId, r.bytes);
        this.insertCheckpoint.run(...sealed.checkpoint);
        return { ok: true, records: sealed.records, tip: sealed.tip };
      })
      .immediate();
  }

  /**
   * The rows of one sealed transaction on top of `tip`, computed without writing: the records
   * chained and hashed, and the checkpoint signed by `signer` (the caller checked it is the tip's).
   */
  seal(tip: TipRow, items: PreparedItem[], signer: Signer, next?: NextEpoch): Sealed {
    const tree = Frontier.parse(tip.size, tip.frontier);
    if (tree === undefined) throw new LedgerCorruptError(`the tree state at size ${tip.size} is malformed`);
    const ts = new Date().toISOString();
    let prev = tip.last_hash;
    const records: AppendedRecord[] = [];
    const rows: RecordRow[] = [];
    for (const item of items) {
      const seq = tree.size + 1;
      const bytes = recordBytes(seq, ts, item.type, prev, item.payloadText);
      const leaf = leafHash(bytes);
      rows.push({ seq, type: item.type, requestId: item.requestId, bytes });
      tree.append(leaf);
      prev = leaf.toString('hex');
      records.push({ seq, hash: prev });
    }
    const note = signCheckpoint(
      { origin: this.origin, size: tree.size, root: tree.root() },
      signer.privateKey,
      signer.vk,
    );
    const after: TipRow =
      next === undefined
        ? { ...tip, size: tree.size, frontier: tree.serialize(), last_hash: prev }
        : {
            size: tree.size,
            frontier: tree.serialize(),
            last_hash: prev,
            epoch: tip.epoch + 1,
            signer: next.signer.vkey,
            epoch_start: tree.size,
            epoch_ts: ts,
          };
    const checkpoint: CheckpointRow = [
      after.size,
      note,
      after.frontier,
      after.last_hash,
      after.epoch,
      after.signer,
      after.epoch_start,
      after.epoch_ts,
    ];
    return { base: { size: tip.size, lastHash: tip.last_hash }, rows, checkpoint, records, tip: after };
  }
}
