/**
 * `guard hub export`: a host's ledger bundle (the format of docs/ledger.md, decision 0204) built
 * from the hub's forwarded copy. The records run from 1 (the tree starts there) to the first
 * checkpoint the hub holds at or after the end of the period, so every record of the period is
 * sealed by a checkpoint signed by the host's key and cosigned by the hub's witness. The hub checked
 * all of it when it was forwarded (decision 1047); the verifier checks it again with the host's
 * pinned key. A hand-over checkpoint the hub holds for a key rotation is included as well.
 */
import type { Pool } from 'pg';
import { buildBundle } from '../ledger/bundle.js';
import { parseCheckpoint } from '../ledger/note.js';

export interface HubExport {
  bundle: Buffer;
  origin: string;
  size: number;
  /** Records whose time lies in the period. */
  inPeriod: number;
  /** The time of the last record the hub holds, when the period ends after it (not covered yet). */
  notCoveredAfter: string | undefined;
}

export async function exportHostBundle(pool: Pool, hostName: string, from: string, to: string): Promise<HubExport> {
  const h = await pool.query<{ id: string }>('SELECT id FROM hosts WHERE name = $1', [hostName]);
  const hostId = h.rows[0]?.id;
  if (hostId === undefined) throw new Error(`no host named ${hostName} is enrolled`);
  const first = await pool.query<{ seq: string | null; last: string | null }>(
    `SELECT (SELECT min(seq)::text FROM evidence_records WHERE host_id = $1 AND ts >= $2) AS seq,
            (SELECT ts FROM evidence_records WHERE host_id = $1 ORDER BY seq DESC LIMIT 1) AS last`,
    [hostId, to],
  );
  const last = first.rows[0]?.last ?? null;
  if (last === null) throw new Error(`the hub holds no records of host ${hostName}`);
  const after = first.rows[0]?.seq ?? null;
  // the first checkpoint that seals every record before the end of the period (else the last one)
  const cp = await pool.query<{ size: string; note: string; cosignature: string }>(
    after === null
      ? 'SELECT size::text AS size, note, cosignature FROM evidence_checkpoints WHERE host_id = $1 ORDER BY size DESC LIMIT 1'
      : 'SELECT size::text AS size, note, cosignature FROM evidence_checkpoints WHERE host_id = $1 AND size >= $2 ORDER BY size LIMIT 1',
    after === null ? [hostId] : [hostId, Number(after) - 1],
  );
  const final = cp.rows[0];
  if (final === undefined) throw new Error(`the hub holds no checkpoint of host ${hostName}`);
  const size = Number(final.size);
  const recs = await pool.query<{ bytes: Buffer; ts: string; rotation: boolean }>(
    `SELECT bytes, ts, position('"type":"key_rotation"' IN convert_from(bytes, 'UTF8')) > 0 AS rotation
     FROM evidence_records WHERE host_id = $1 AND seq <= $2 ORDER BY seq`,
    [hostId, size],
  );
  if (recs.rows.length !== size) throw new Error(`the hub's copy of host ${hostName} is missing records below ${size}`);
  const rotations = recs.rows.flatMap((r, i) => (r.rotation ? [i + 1] : []));
  const handovers = await pool.query<{ size: string; note: string; cosignature: string }>(
    'SELECT size::text AS size, note, cosignature FROM evidence_checkpoints WHERE host_id = $1 AND size = ANY($2::bigint[]) AND size < $3',
    [hostId, rotations, size],
  );
  const checkpoints = [...handovers.rows, final]
    .map((c) => ({ size: Number(c.size), text: c.note + c.cosignature }))
    .sort((a, b) => a.size - b.size);
  const c = parseCheckpoint(final.note);
  if (typeof c === 'string') throw new Error(`the hub's checkpoint of host ${hostName} is malformed: ${c}`);
  return {
    bundle: buildBundle({ origin: c.origin, records: recs.rows.map((r) => r.bytes), checkpoints }),
    origin: c.origin,
    size,
    inPeriod: recs.rows.filter((r) => r.ts >= from && r.ts < to).length,
    notCoveredAfter: after === null ? last : undefined,
  };
}
