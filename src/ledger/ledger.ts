/**
 * The ledger writer: opens the database, loads the epoch's signing key, group-commits concurrent
 * appends (everything queued while a transaction runs goes into the next one, sealed by one
 * checkpoint) and rotates keys. The daemon is the only writer in normal operation; several
 * processes may still write safely because each transaction re-reads the tip.
 */
import { dirname } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { KeyStore, KeyStoreKind } from '../keys/index.js';
import { Committer, type CommitOutcome, type PreparedItem } from './commit.js';
import { CommitThread } from './commit-thread.js';
import { asLedgerError, openWritable, type Db, type TipRow } from './db.js';
import { LedgerKeyError, LedgerWriteError } from './errors.js';
import { readRecords, type ReadOptions } from './read.js';
import { canonicalPayload, requestIdOf } from './record.js';
import { WriterSentinel } from './sentinel.js';
import { generateSigner, keyName, loadSigner, type Signer } from './signer.js';
import { genesisFingerprint } from './pubkey.js';
import type { AppendedRecord, JsonValue, LedgerRecord, LedgerWriter, RecordType } from './types.js';
import { recoverUnfinished } from './recovery.js';
import { checkIntegrity, prepareLedger } from './setup.js';

export interface OpenLedgerOptions {
  path: string;
  env: NodeJS.ProcessEnv;
  guardVersion: string;
  policyDigest?: string;
  /** Rule id → rule digest of that policy (recorded as `policy_rules`; the evidence pack diffs versions). */
  policyRules?: Record<string, string>;
  /** Checkpoint origin for a new ledger (default `guard.ledger/<random>`); must match an existing one. */
  origin?: string;
  rotateEvery?: { records?: number; days?: number };
  /**
   * Commit appends on a writer thread (its own connection) so the fsync never blocks the event
   * loop; the daemon sets it. Rotations and recovery stay on the calling thread.
   */
  writerThread?: boolean;
  /** Where the one-time key-store warning goes (default: stderr). */
  warn?: (message: string) => void;
}

export interface Ledger extends LedgerWriter {
  readonly keyStoreKind: KeyStoreKind;
  /** vkeys (`<origin>+<keyid>+<base64>`) and the genesis fingerprint (`sha256:<hex>` of the raw key). */
  publicKey(): { genesis: string; current: string; fingerprint: string };
  rotate(): Promise<void>;
  read(opts?: ReadOptions): LedgerRecord[];
}

type Job =
  | { kind: 'append'; items: PreparedItem[]; resolve: (r: AppendedRecord[]) => void; reject: (e: unknown) => void }
  | { kind: 'rotate'; resolve: () => void; reject: (e: unknown) => void };

const DAY_MS = 86_400_000;

export async function openLedger(opts: OpenLedgerOptions): Promise<Ledger> {
  mkdirSync(dirname(opts.path), { recursive: true, mode: 0o700 });
  const { sentinel, unclean } = WriterSentinel.acquire(opts.path);
  let db: Db | undefined;
  try {
    db = openWritable(opts.path);
    if (unclean) checkIntegrity(db, opts.path);
    const impl = await LedgerImpl.init(db, opts, sentinel);
    if (unclean) await recoverUnfinished(impl, db);
    return impl;
  } catch (err) {
    db?.close();
    sentinel.release();
    throw asLedgerError(err, `cannot open the ledger at ${opts.path}`);
  }
}

class LedgerImpl implements Ledger {
  private readonly queue: Job[] = [];
  private draining = false;
  private closed = false;
  private readonly committer: Committer;
  /** The writer thread (decision 0024), set once `ledger_open` is committed (decision 0040). */
  private thread: CommitThread | undefined;
  /** The tip after this writer's last write on the thread: the next group is sealed on it. */
  private lastTip: TipRow | undefined;

  private constructor(
    private readonly db: Db,
    private readonly opts: OpenLedgerOptions,
    private readonly sentinel: WriterSentinel,
    private readonly store: KeyStore,
    private readonly origin: string,
    private readonly genesis: string,
    private signer: Signer,
  ) {
    this.committer = new Committer(db, origin, genesis);
  }

  static async init(db: Db, opts: OpenLedgerOptions, sentinel: WriterSentinel): Promise<LedgerImpl> {
    const { meta, store, fresh } = await prepareLedger(db, opts);
    const committer = new Committer(db, meta.origin, meta.genesisKey);
    const tip = committer.readTip();
    const signer = fresh !== undefined && tip.signer === fresh.vkey ? fresh : await loadSigner(store, tip.signer);
    const ledger = new LedgerImpl(db, opts, sentinel, store, meta.origin, meta.genesisKey, signer);
    await ledger.deleteRetiredKey();
    await ledger.append('ledger_open', {
      guard_version: opts.guardVersion,
      policy_digest: opts.policyDigest ?? null,
      key_store: store.kind,
      origin: meta.origin,
      key: ledger.signer.vkey,
      epoch: tip.epoch,
      ...(opts.policyRules === undefined ? {} : { policy_rules: opts.policyRules }),
    });
    // `ledger_open` is committed on this thread: a daemon starts serving without waiting for a
    // worker thread to boot; the thread starts with the first append after it (decision 0040)
    if (opts.writerThread === true) ledger.thread = new CommitThread(opts.path);
    return ledger;
  }

  get keyStoreKind(): KeyStoreKind {
    return this.store.kind;
  }

  publicKey(): { genesis: string; current: string; fingerprint: string } {
    return { genesis: this.genesis, current: this.signer.vkey, fingerprint: genesisFingerprint(this.genesis) };
  }

  read(opts: ReadOptions = {}): LedgerRecord[] {
    return readRecords(this.db, opts);
  }

  append(type: RecordType, payload: JsonValue): Promise<AppendedRecord> {
    return this.appendMany([{ type, payload }]).then((r) => r[0]!);
  }

  appendMany(items: { type: RecordType; payload: JsonValue }[]): Promise<AppendedRecord[]> {
    let prepared: PreparedItem[];
    try {
      if (this.closed) throw new LedgerWriteError('the ledger is closed');
      if (items.length === 0) return Promise.resolve([]);
      prepared = items.map((i) => ({
        type: i.type,
        payloadText: canonicalPayload(i.type, i.payload),
        requestId: requestIdOf(i.payload),
      }));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ kind: 'append', items: prepared, resolve, reject });
      this.kick();
    });
  }

  rotate(): Promise<void> {
    if (this.closed) return Promise.reject(new LedgerWriteError('the ledger is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ kind: 'rotate', resolve, reject });
      this.kick();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.draining) await new Promise((r) => setImmediate(r));
    await this.thread?.close();
    this.db.close();
    this.sentinel.release();
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = true;
    setImmediate(() => void this.drain());
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const head = this.queue[0]!;
        if (head.kind === 'rotate') {
          this.queue.shift();
          await this.doRotate().then(head.resolve, head.reject);
        } else {
          let n = 0;
          while (n < this.queue.length && this.queue[n]!.kind === 'append') n++;
          const jobs = this.queue.splice(0, n) as Extract<Job, { kind: 'append' }>[];
          let tip: TipRow | undefined;
          try {
            const res = await this.commitWithRetry(jobs.flatMap((j) => j.items));
            tip = res.tip;
            let at = 0;
            for (const j of jobs) {
              j.resolve(res.records.slice(at, at + j.items.length));
              at += j.items.length;
            }
          } catch (err) {
            const e = asLedgerError(err, 'ledger append failed');
            for (const j of jobs) j.reject(e);
          }
          if (tip !== undefined && this.rotationDue(tip))
            await this.doRotate().catch((err: unknown) =>
              this.warn(`automatic key rotation failed: ${(err as Error).message}`),
            );
        }
        await new Promise((r) => setImmediate(r)); // let producers queue up: the next batch is a group
      }
    } finally {
      this.draining = false;
    }
  }

  private rotationDue(tip: TipRow): boolean {
    const every = this.opts.rotateEvery;
    if (every === undefined) return false;
    if (every.records !== undefined && tip.size - tip.epoch_start >= every.records) return true;
    return every.days !== undefined && Date.now() - Date.parse(tip.epoch_ts) >= every.days * DAY_MS;
  }

  private async commitWithRetry(items: PreparedItem[], next?: Signer) {
    for (let attempt = 0; attempt < 5; attempt++) {
      const out =
        this.thread !== undefined && next === undefined
          ? await this.commitOnThread(this.thread, items)
          : this.committer.commit(items, this.signer, next === undefined ? undefined : { signer: next });
      if (out.ok) return out;
      // another process rotated the key: load the key of the new epoch and try again
      this.signer = await loadSigner(this.store, out.tipSigner);
      if (next !== undefined)
        throw new LedgerWriteError('another process rotated the key at the same time; rotate again if still wanted');
    }
    throw new LedgerWriteError('the ledger signing key kept changing under concurrent rotation');
  }

  /**
   * Seal on this thread against the tip this writer last wrote (or read); the writer thread
   * commits it only if that is still the tip, and otherwise the tip is read again.
   */
  private async commitOnThread(thread: CommitThread, items: PreparedItem[]): Promise<CommitOutcome> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const tip = this.lastTip ?? this.db.transaction(() => this.committer.readTip())(); // one snapshot
      this.lastTip = undefined;
      if (tip.signer !== this.signer.vkey) return { ok: false, tipSigner: tip.signer };
      const sealed = this.committer.seal(tip, items, this.signer);
      if (await thread.write(sealed)) {
        this.lastTip = sealed.tip;
        return { ok: true, records: sealed.records, tip: sealed.tip };
      }
    }
    throw new LedgerWriteError('other writers kept moving the ledger tip; nothing was written');
  }

  private async doRotate(): Promise<void> {
    const { signer: next, secret } = generateSigner(this.origin);
    const nextName = keyName(this.origin, next.keyIdHex);
    try {
      await this.store.put(nextName, secret);
    } catch (err) {
      throw new LedgerKeyError(`cannot store the next ledger key: ${(err as Error).message}`, { cause: err });
    }
    const old = this.signer;
    const tipBefore = this.committer.readTip();
    const item: PreparedItem = {
      type: 'key_rotation',
      payloadText: canonicalPayload('key_rotation', {
        epoch: tipBefore.epoch + 1,
        next_key: next.vkey,
        previous_key: old.vkey,
        key_store: this.store.kind,
      }),
      requestId: null,
    };
    try {
      await this.commitWithRetry([item], next);
    } catch (err) {
      await this.store.delete(nextName).catch(() => undefined);
      throw err;
    }
    this.signer = next;
    try {
      await this.store.delete(keyName(this.origin, old.keyIdHex));
    } catch (err) {
      throw new LedgerKeyError(
        `the key was rotated, but the previous private key could not be deleted: ${(err as Error).message}`,
        {
          cause: err,
          hint: `delete ${keyName(this.origin, old.keyIdHex)} from the ${this.store.kind} key store by hand`,
        },
      );
    }
  }

  /** A crash between a rotation's commit and the old key's deletion leaves the old key behind. */
  private async deleteRetiredKey(): Promise<void> {
    const row = this.db
      .prepare("SELECT bytes FROM records WHERE type = 'key_rotation' ORDER BY seq DESC LIMIT 1")
      .pluck()
      .get() as Buffer | undefined;
    if (row === undefined) return;
    const prevKey = (JSON.parse(row.toString('utf8')) as { payload: { previous_key?: unknown } }).payload.previous_key;
    if (typeof prevKey !== 'string') return;
    const id = prevKey.split('+')[1];
    if (id !== undefined && /^[0-9a-f]{8}$/.test(id) && id !== this.signer.keyIdHex)
      await this.store.delete(keyName(this.origin, id)).catch(() => undefined);
  }

  private warn(message: string): void {
    (this.opts.warn ?? ((m: string) => process.stderr.write(`guard: ${m}\n`)))(message);
  }
}
