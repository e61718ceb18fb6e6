/** Build an export bundle from a ledger database (read-only; the daemon may keep writing). */
import { LedgerWriteError } from './errors.js';
import { buildBundle } from './bundle.js';
import { cosignedSizes } from './cosignatures.js';
import { leafHash, consistencyProof, subtreeRoot } from './merkle.js';
import { parseCheckpoint, parseVkey } from './note.js';
import { readTar } from './tar.js';
import { readSnapshot } from './snapshot.js';
import { verifyLedger } from './verify.js';
import type { Db } from './db.js';

export interface ExportResult {
  bundle: Buffer;
  origin: string;
  size: number;
  /** Final checkpoint text (also inside the bundle). */
  checkpoint: string;
  previousSize: number | undefined;
}

/** `since` is a previous bundle or a checkpoint text file's bytes. */
export function exportLedger(db: Db, since?: Buffer): ExportResult {
  const snap = readSnapshot(db);
  if (snap.meta === undefined)
    throw new LedgerWriteError('the ledger database has no metadata (never opened by guard)');
  const genesis = parseVkey(snap.meta.genesisKey);
  if (typeof genesis === 'string') throw new LedgerWriteError(`the ledger's genesis key is malformed: ${genesis}`);
  // refuse to export something that does not verify against its own genesis key
  const result = verifyLedger({ records: snap.records, checkpoints: snap.checkpoints, trusted: genesis });
  const n = result.size;
  // the final checkpoint, each hand-over, and every checkpoint a witness cosigned (decision 1047)
  const wanted = new Set<number>([n, ...cosignedSizes(db).filter((s) => s <= n)]);
  snap.records.forEach((r, i) => {
    if (
      r.includes('"type":"key_rotation"') &&
      (JSON.parse(r.toString('utf8')) as { type: unknown }).type === 'key_rotation'
    )
      wanted.add(i + 1);
  });
  const bySize = new Map(
    snap.checkpoints.map((c) => [Number(/^checkpoint at size (\d+)$/.exec(c.label)?.[1]), c.text]),
  );
  const checkpoints = [...wanted].sort((a, b) => a - b).map((size) => ({ size, text: bySize.get(size)! }));
  const leaves = snap.records.map((r) => leafHash(r));
  let previous: { checkpoint: string; proof: Buffer[] } | undefined;
  if (since !== undefined) {
    const text = previousCheckpointText(since);
    const cp = parseCheckpoint(text);
    if (typeof cp === 'string') throw new LedgerWriteError(`--since-checkpoint: ${cp}`);
    if (cp.origin !== snap.meta.origin)
      throw new LedgerWriteError(`--since-checkpoint is for the ledger ${cp.origin}, not ${snap.meta.origin}`);
    if (cp.size > n)
      throw new LedgerWriteError(
        `--since-checkpoint covers ${cp.size} records but this ledger has only ${n}: it was truncated or rolled back`,
      );
    if (!subtreeRoot(leaves, 0, cp.size).equals(cp.root)) {
      throw new LedgerWriteError(
        `--since-checkpoint does not match records 1..${cp.size} of this ledger: the ledger was rewritten (fork)`,
      );
    }
    previous = { checkpoint: text, proof: cp.size === n ? [] : consistencyProof(leaves, cp.size) };
  }
  const bundle = buildBundle({
    origin: snap.meta.origin,
    records: snap.records,
    checkpoints,
    ...(previous === undefined ? {} : { previous }),
  });
  return {
    bundle,
    origin: snap.meta.origin,
    size: n,
    checkpoint: result.checkpoint,
    previousSize: previous === undefined ? undefined : Number(parseCheckpointSize(previous.checkpoint)),
  };
}

function parseCheckpointSize(text: string): number {
  const cp = parseCheckpoint(text);
  return typeof cp === 'string' ? 0 : cp.size;
}

function previousCheckpointText(data: Buffer): string {
  const entries =
    data.length >= 512 && data.subarray(257, 263).toString('latin1') === 'ustar\0' ? readTar(data) : undefined;
  if (entries === undefined) return data.toString('utf8');
  if (typeof entries === 'string')
    throw new LedgerWriteError(`--since-checkpoint: the previous bundle is unreadable: ${entries}`);
  const manifest = entries.find((e) => e.name === 'MANIFEST')?.data.toString('latin1') ?? '';
  const size = /^size (\d+)$/m.exec(manifest)?.[1];
  const cp = entries.find((e) => e.name === `checkpoints/${size}`);
  if (cp === undefined) throw new LedgerWriteError('--since-checkpoint: the previous bundle has no final checkpoint');
  return cp.data.toString('utf8');
}
