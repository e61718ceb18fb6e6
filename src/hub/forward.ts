/**
 * The daemon side of evidence forwarding (decision 1047): asks the hub how many of this host's
 * records it holds, then sends the next records in order, each batch ending at one of the
 * ledger's own signed checkpoints, and stores the witness cosignature the hub returns beside that
 * checkpoint (src/ledger/cosignatures.ts). The hub's head is the only cursor, so forwarding
 * resumes after either side restarts with no gap and no duplicate; a batch whose answer was lost
 * is sent again and the hub accepts it only if it is unchanged. It reads the ledger database with
 * its own read-only connection and never writes to the ledger itself.
 */
import { sleep } from '../channels/delivery.js';
import { messageOf } from '../errors.js';
import { CosignatureStore } from '../ledger/cosignatures.js';
import { openReadOnly, type Db } from '../ledger/db.js';
import { encodeBase64 } from '../ledger/b64.js';
import { parseCheckpoint } from '../ledger/note.js';
import { cosignedBy, parseWitnessVkey } from './witness.js';

/** Records per batch at most (a batch still reaches the next checkpoint when a commit is larger). */
const BATCH_RECORDS = 500;
const BACKOFF_MAX_MS = 5000;

export type HubCall = (method: string, path: string, body: unknown) => Promise<unknown>;

export interface ForwardStatus {
  forwarded: number;
  cosigned: number;
  error: string | undefined;
}

interface Batch {
  from: number;
  size: number;
  note: string;
  records: Buffer[];
}

export class EvidenceForwarder {
  private db: Db | undefined;
  private cosignatures: CosignatureStore | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private readonly abort = new AbortController();
  readonly status: ForwardStatus = { forwarded: 0, cosigned: 0, error: undefined };

  constructor(
    private readonly ledgerPath: string,
    private readonly call: HubCall,
    private readonly warn: (message: string) => void,
  ) {}

  /** Something was written (or the hub may be back): forward what the hub does not hold yet. */
  kick(): void {
    if (this.abort.signal.aborted) return;
    this.again = true;
    this.running ??= this.run().finally(() => (this.running = undefined));
  }

  /** Resolves when no forwarding is in progress (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
    this.db?.close();
    this.cosignatures?.close();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.again && !this.abort.signal.aborted) {
      this.again = false;
      try {
        await this.forwardAll();
        failures = 0;
        this.status.error = undefined;
      } catch (err) {
        const message = messageOf(err);
        if (message !== this.status.error) this.warn(`evidence forwarding: ${message}`);
        this.status.error = message;
        this.again = true;
        await sleep(Math.min(BACKOFF_MAX_MS, 100 * 2 ** failures++), this.abort.signal);
      }
    }
  }

  private async forwardAll(): Promise<void> {
    let head = ((await this.call('POST', '/v1/evidence/head', {})) as { size: number }).size;
    for (;;) {
      const batch = this.batchAfter(head);
      if (batch === undefined || this.abort.signal.aborted) return;
      const r = (await this.call('POST', '/v1/evidence', {
        from: batch.from,
        records: batch.records.map(encodeBase64),
        checkpoint: batch.note,
      })) as { size: number; cosignature: string; witnessKey: string };
      this.keep(batch, r.cosignature, r.witnessKey);
      this.status.forwarded += Math.max(0, r.size - head);
      head = r.size;
    }
  }

  /** Stores the cosignature beside its checkpoint, once it verifies over that checkpoint. */
  private keep(batch: Batch, line: string, vkey: string): void {
    const k = parseWitnessVkey(vkey);
    const c = parseCheckpoint(batch.note + line);
    if (typeof k === 'string' || typeof c === 'string' || !cosignedBy(c, k))
      throw new Error(`the hub returned a cosignature that does not verify over checkpoint ${batch.size}`);
    this.cosignatures ??= new CosignatureStore(this.ledgerPath);
    this.cosignatures.add(batch.size, `${k.name}+${k.keyId.toString('hex')}`, line);
    this.status.cosigned++;
  }

  /** The records after `head` up to a checkpoint of the ledger (in one read transaction). */
  private batchAfter(head: number): Batch | undefined {
    this.db ??= openReadOnly(this.ledgerPath);
    const db = this.db;
    return db
      .transaction((): Batch | undefined => {
        const row = (db
          .prepare('SELECT size, note FROM checkpoints WHERE size > ? AND size <= ? ORDER BY size DESC LIMIT 1')
          .get(head, head + BATCH_RECORDS) ??
          db.prepare('SELECT size, note FROM checkpoints WHERE size > ? ORDER BY size LIMIT 1').get(head)) as
          { size: number; note: string } | undefined;
        if (row === undefined) return undefined;
        const rows = db
          .prepare('SELECT seq, bytes FROM records WHERE seq > ? AND seq <= ? ORDER BY seq')
          .raw()
          .all(head, row.size) as [number, Buffer][];
        if (rows.length !== row.size - head) throw new Error(`the ledger is missing records ${head + 1}..${row.size}`);
        return { from: head + 1, size: row.size, note: row.note, records: rows.map(([, b]) => b) };
      })
      .deferred();
  }
}
