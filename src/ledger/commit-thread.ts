/**
 * The ledger's writer thread: a worker with its own SQLite connection that runs a sealed
 * transaction (rows computed by `Committer.seal` on the main thread) and its durable COMMIT, so
 * the fsync (WAL, `synchronous=FULL`) never blocks the daemon's event loop. While one transaction
 * is committing, the main thread keeps judging requests; everything they queue meanwhile becomes
 * the next group. Write-ahead holds: a write resolves only after SQLite's COMMIT returned, and
 * SQLite makes a WAL commit visible to readers only after its fsync. See docs/decisions/0024.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { BUSY_TIMEOUT_MS } from './db.js';
import type { Sealed } from './commit.js';

/** Plain CommonJS run by the worker (eval): no bundling or TypeScript loader is needed to start it. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.path, { timeout: workerData.timeout, fileMustExist: true });
db.pragma('synchronous = FULL');
const tipStmt = db.prepare('SELECT size, last_hash FROM checkpoints ORDER BY size DESC LIMIT 1');
const maxStmt = db.prepare('SELECT coalesce(max(seq), 0) AS n FROM records').pluck();
const insRecord = db.prepare('INSERT INTO records (seq, type, request_id, bytes) VALUES (?, ?, ?, ?)');
const insCheckpoint = db.prepare(
  'INSERT INTO checkpoints (size, note, frontier, last_hash, epoch, signer, epoch_start, epoch_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
);
const buf = (u) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
const write = db.transaction((m) => {
  const tip = tipStmt.get() || { size: 0, last_hash: '' };
  if (tip.size !== m.base.size || tip.last_hash !== m.base.lastHash || maxStmt.get() !== m.base.size) return false;
  for (const r of m.rows) insRecord.run(r.seq, r.type, r.requestId, buf(r.bytes));
  const c = m.checkpoint;
  insCheckpoint.run(c[0], c[1], buf(c[2]), c[3], c[4], c[5], c[6], c[7]);
  return true;
});
parentPort.on('message', (m) => {
  if (m.close) {
    db.close();
    process.exit(0);
  }
  try {
    parentPort.postMessage({ id: m.id, written: write.immediate(m) });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: { message: String((e && e.message) || e), code: e && e.code } });
  }
});
`;

type Reply = { id: number; written: boolean } | { id: number; error: { message: string; code?: unknown } };

interface Pending {
  resolve: (written: boolean) => void;
  reject: (err: Error) => void;
}

/** Writes sealed transactions through one worker thread, started on the first write. */
export class CommitThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly path: string) {}

  /** Write `sealed` if its base is still the tip: true when committed, false when another writer moved the tip. */
  write(sealed: Sealed): Promise<boolean> {
    const w = this.start();
    const id = this.nextId++;
    return new Promise<boolean>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.ref(); // a write in flight keeps the process alive until it is answered
      w.postMessage({ id, base: sealed.base, rows: sealed.rows, checkpoint: sealed.checkpoint });
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    if (w === undefined) return;
    this.worker = undefined;
    const gone = new Promise((r) => w.once('exit', r));
    w.ref(); // keep the process alive until the thread has closed its connection
    w.postMessage({ close: true });
    await gone;
  }

  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { sqlite, path: this.path, timeout: BUSY_TIMEOUT_MS },
    });
    w.unref();
    w.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) w.unref();
      if ('error' in m) p.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
      else p.resolve(m.written);
    });
    const fail = (err: Error): void => {
      if (this.worker === w) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    w.on('error', (err) => fail(new Error(`the ledger writer thread failed: ${err.message}`)));
    w.on('exit', (code) => fail(new Error(`the ledger writer thread stopped (exit code ${code})`)));
    this.worker = w;
    return w;
  }
}
