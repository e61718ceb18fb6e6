/**
 * Evidence forwarding on the hub: each host sends its ledger records in order, in batches that end
 * at one of its signed checkpoints. In one transaction with the host's row locked the hub checks
 * that the checkpoint verifies under the ledger key pinned at enrolment, that a record it already
 * holds is sent again byte for byte (a resend is idempotent), that each new record carries the
 * next `seq` and chains (`prev`) to the one before, and that the checkpoint's root is the Merkle
 * root of every record it now holds for the host. Then it stores the records, the checkpoint and
 * its witness cosignature (decision 1045), and moves the host's head. A record that differs from
 * the one held, a chain that breaks, or a signed root that does not match the records is a
 * rewritten log: refused, recorded and the host flagged, like an inconsistent checkpoint.
 */
import { createPrivateKey } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { Frontier, leafHash, subtreeRoot } from '../ledger/merkle.js';
import { parseCheckpoint } from '../ledger/note.js';
import type { HostRow } from './store.js';
import { cosignatureLine } from './witness.js';
import { lastCosigned, saveCosigned, underHostLock, type HubWitness, type WitnessRefusal } from './witness-store.js';

export type ForwardResult =
  | { ok: true; size: number; cosignature: string }
  | WitnessRefusal
  /** `from` is not the record after the hub's head: the host must send from `size + 1`. */
  | { ok: false; status: 409; reason: string; flagged: false; size: number };

interface Head {
  size: number;
  frontier: Frontier;
}

/** How many records the hub holds for a host (0 when none). */
export async function evidenceHead(pool: Pool, host: HostRow): Promise<number> {
  const r = await pool.query<{ size: string }>('SELECT size::text AS size FROM evidence_heads WHERE host_id = $1', [
    host.id,
  ]);
  return Number(r.rows[0]?.size ?? 0);
}

async function headOf(client: PoolClient, hostId: string): Promise<Head> {
  const r = await client.query<{ size: string; frontier: Buffer }>(
    'SELECT size::text AS size, frontier FROM evidence_heads WHERE host_id = $1',
    [hostId],
  );
  const row = r.rows[0];
  if (row === undefined) return { size: 0, frontier: new Frontier() };
  const f = Frontier.parse(Number(row.size), row.frontier);
  if (f === undefined) throw new Error(`the stored evidence head of host ${hostId} is corrupt`);
  return { size: Number(row.size), frontier: f };
}

async function leavesUpTo(client: PoolClient, hostId: string, size: number): Promise<Buffer[]> {
  const r = await client.query<{ leaf: Buffer }>(
    'SELECT leaf FROM evidence_records WHERE host_id = $1 AND seq <= $2 ORDER BY seq',
    [hostId, size],
  );
  return r.rows.map((x) => x.leaf);
}

async function leafAt(client: PoolClient, hostId: string, seq: number): Promise<string> {
  const r = await client.query<{ leaf: Buffer }>('SELECT leaf FROM evidence_records WHERE host_id = $1 AND seq = $2', [
    hostId,
    seq,
  ]);
  const leaf = r.rows[0]?.leaf;
  if (leaf === undefined) throw new Error(`record ${seq} of host ${hostId} is missing below its head`);
  return leaf.toString('hex');
}

/** seq, prev and ts of a record, or a reason it is not a ledger record. */
function recordFields(bytes: Buffer): { seq: number; prev: string; ts: string } | string {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch {
    return 'is not JSON';
  }
  const r = v as { seq?: unknown; prev?: unknown; ts?: unknown };
  if (typeof r !== 'object' || r === null || typeof r.seq !== 'number' || typeof r.prev !== 'string')
    return 'has no seq or prev';
  if (typeof r.ts !== 'string' || r.ts.length > 64) return 'has no ts';
  return { seq: r.seq, prev: r.prev, ts: r.ts };
}

export async function forwardEvidence(
  pool: Pool,
  w: HubWitness,
  host: HostRow,
  from: number,
  records: Buffer[],
  note: string,
  now: bigint,
): Promise<ForwardResult> {
  const c = parseCheckpoint(note);
  if (typeof c === 'string') return { ok: false, status: 400, reason: c, flagged: false };
  if (records.length === 0 || c.size !== from + records.length - 1)
    return {
      ok: false,
      status: 400,
      reason: `the checkpoint is at size ${c.size}, not at the last record sent (${from + records.length - 1})`,
      flagged: false,
    };
  return underHostLock<ForwardResult>(pool, host, note, c, async (client, refuse) => {
    const head = await headOf(client, host.id);
    if (from > head.size + 1)
      return {
        ok: false,
        status: 409,
        reason: `the hub holds ${head.size} records of this host: send from ${head.size + 1}`,
        flagged: false,
        size: head.size,
      };
    // records the hub already holds must come back unchanged
    const held = Math.min(head.size, c.size);
    if (from <= held) {
      const r = await client.query<{ seq: string; bytes: Buffer }>(
        'SELECT seq::text AS seq, bytes FROM evidence_records WHERE host_id = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq',
        [host.id, from, held],
      );
      for (const row of r.rows)
        if (!row.bytes.equals(records[Number(row.seq) - from]!))
          return refuse(`record ${row.seq} differs from the one forwarded before (the log was rewritten)`, 409, true);
    }
    const witness = createPrivateKey(w.privatePem);
    if (c.size <= head.size) {
      // a batch sent again (its answer was lost): the checkpoint must still match what is held
      const root = subtreeRoot(await leavesUpTo(client, host.id, c.size), 0, c.size);
      if (!root.equals(c.root))
        return refuse(
          `the checkpoint at size ${c.size} does not match the records held (the log was rewritten)`,
          409,
          true,
        );
      const old = await client.query<{ cosignature: string }>(
        'SELECT cosignature FROM evidence_checkpoints WHERE host_id = $1 AND size = $2',
        [host.id, c.size],
      );
      return {
        ok: true,
        size: head.size,
        cosignature: old.rows[0]?.cosignature ?? cosignatureLine(c.body, witness, w.key, now),
      };
    }
    // the new records: contiguous, chained, and sealed by the checkpoint's root
    const frontier = head.frontier.clone();
    let prev = head.size === 0 ? '' : await leafAt(client, host.id, head.size);
    const rows: { seq: number; bytes: Buffer; leaf: Buffer; ts: string }[] = [];
    for (let seq = head.size + 1; seq <= c.size; seq++) {
      const bytes = records[seq - from]!;
      const f = recordFields(bytes);
      if (typeof f === 'string') return refuse(`record ${seq} ${f}`, 400, false);
      if (f.seq !== seq) return refuse(`record ${seq} carries seq ${f.seq}`, 400, false);
      if (f.prev !== prev)
        return refuse(
          `record ${seq} does not chain to record ${seq - 1} held by the hub (the log was rewritten)`,
          409,
          true,
        );
      const leaf = leafHash(bytes);
      frontier.append(leaf);
      rows.push({ seq, bytes, leaf, ts: f.ts });
      prev = leaf.toString('hex');
    }
    if (!frontier.root().equals(c.root))
      return refuse(
        `the checkpoint at size ${c.size} does not match the records forwarded (the log was rewritten)`,
        409,
        true,
      );
    // the witness's own view (it may have cosigned without records, POST /v1/witness)
    const seen = await lastCosigned(client, host.id);
    if (seen !== undefined && seen.size > head.size) {
      const all = [...(await leavesUpTo(client, host.id, head.size)), ...rows.map((r) => r.leaf)];
      if (seen.size > c.size || !subtreeRoot(all, 0, seen.size).equals(seen.root))
        return refuse(`the records do not extend the checkpoint cosigned at size ${seen.size}`, 409, true);
    } else if (
      seen !== undefined &&
      seen.size === head.size &&
      head.size > 0 &&
      !head.frontier.root().equals(seen.root)
    )
      return refuse(`the records held do not match the checkpoint cosigned at size ${seen.size}`, 409, true);
    await client.query(
      `INSERT INTO evidence_records (host_id, seq, bytes, leaf, ts)
       SELECT $1, * FROM unnest($2::bigint[], $3::bytea[], $4::bytea[], $5::text[])`,
      [host.id, rows.map((r) => r.seq), rows.map((r) => r.bytes), rows.map((r) => r.leaf), rows.map((r) => r.ts)],
    );
    const cosignature = cosignatureLine(c.body, witness, w.key, now);
    await client.query('INSERT INTO evidence_checkpoints (host_id, size, note, cosignature) VALUES ($1, $2, $3, $4)', [
      host.id,
      c.size,
      note,
      cosignature,
    ]);
    await client.query(
      `INSERT INTO evidence_heads (host_id, size, frontier) VALUES ($1, $2, $3)
       ON CONFLICT (host_id) DO UPDATE SET size = EXCLUDED.size, frontier = EXCLUDED.frontier`,
      [host.id, c.size, frontier.serialize()],
    );
    if (seen === undefined || seen.size <= c.size) await saveCosigned(client, host.id, c, note);
    return { ok: true, size: c.size, cosignature };
  });
}
