/**
 * The hub's witness: checks a host's checkpoint against the host's pinned ledger key and the last
 * checkpoint it cosigned for that host, then cosigns it. An inconsistent checkpoint is refused,
 * recorded in `witness_refusals`, and the host is flagged (`hosts.flagged`, shown by
 * `guard hub hosts`); a flagged host gets no further cosignatures. One transaction per call, the
 * host's row locked, so two replicas never cosign two different successors of one checkpoint.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { decodeBase64Strict } from '../ledger/b64.js';
import { checkpointSignedBy, parseCheckpoint, type SignedCheckpoint } from '../ledger/note.js';
import { parsePubkeyFile } from '../ledger/pubkey.js';
import { checkout, type HostRow } from './store.js';
import {
  consistencyFailure,
  cosignatureLine,
  formatWitnessVkey,
  witnessKey,
  type Seen,
  type WitnessKey,
} from './witness.js';

export interface HubWitness {
  key: WitnessKey;
  privatePem: string;
  vkey: string;
}

/** The hub's witness key, created once like the vote key (the first replica to get here wins). */
export async function witnessKeyOf(pool: Pool): Promise<HubWitness> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const fresh = witnessKey(`guard-hub-${randomBytes(4).toString('hex')}`, privateKey);
  await pool.query(
    `INSERT INTO hub_keys (name, private_pem, public_key) VALUES ('witness', $1, $2) ON CONFLICT (name) DO NOTHING`,
    [privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), formatWitnessVkey(fresh)],
  );
  const r = await pool.query<{ private_pem: string; public_key: string }>(
    `SELECT private_pem, public_key FROM hub_keys WHERE name = 'witness'`,
  );
  const row = r.rows[0];
  if (row === undefined) throw new Error('the hub witness key is missing');
  const key = witnessKey(row.public_key.split('+')[0]!, createPrivateKey(row.private_pem));
  return { key, privatePem: row.private_pem, vkey: row.public_key };
}

export type WitnessRefusal = { ok: false; status: 400 | 409; reason: string; flagged: boolean };
export type WitnessResult = { ok: true; cosignature: string } | WitnessRefusal;

export type Refuse = (reason: string, status: 400 | 409, flag: boolean) => Promise<WitnessRefusal>;

/**
 * Runs `fn` in one transaction with the host's row locked, once the host is known not to be
 * flagged and `c` verifies under the ledger key pinned at enrolment. A refusal is recorded (and
 * flags the host when asked) and committed; anything thrown rolls everything back.
 */
export async function underHostLock<T extends { ok: boolean }>(
  pool: Pool,
  host: HostRow,
  note: string,
  c: SignedCheckpoint,
  fn: (client: PoolClient, refuse: Refuse) => Promise<T | WitnessRefusal>,
): Promise<T | WitnessRefusal> {
  const client = await checkout(pool);
  let failed = false;
  try {
    await client.query('BEGIN');
    const h = await client.query<{ ledger_key: string | null; flagged: string | null }>(
      'SELECT ledger_key, flagged FROM hosts WHERE id = $1 FOR UPDATE',
      [host.id],
    );
    const row = h.rows[0];
    const refuse: Refuse = async (reason, status, flag) => {
      await client.query('INSERT INTO witness_refusals (host_id, note, reason) VALUES ($1, $2, $3)', [
        host.id,
        note,
        reason,
      ]);
      if (flag) await client.query('UPDATE hosts SET flagged = $2 WHERE id = $1', [host.id, reason]);
      return { ok: false, status, reason, flagged: flag };
    };
    let result: T | WitnessRefusal;
    const pinned = row?.ledger_key == null ? 'no ledger key was pinned at enrolment' : parsePubkeyFile(row.ledger_key);
    if (row?.flagged != null) result = await refuse(`the host is flagged: ${row.flagged}`, 409, false);
    else if (typeof pinned === 'string') result = await refuse(`cannot check the checkpoint: ${pinned}`, 400, false);
    else if (!checkpointSignedBy(c, pinned))
      result = await refuse('the checkpoint is not signed by the ledger key pinned at enrolment', 400, false);
    else result = await fn(client, refuse);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    failed = true;
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release(failed);
  }
}

/** The last checkpoint the witness cosigned for a host (inside a transaction holding the host lock). */
export async function lastCosigned(client: PoolClient, hostId: string): Promise<Seen | undefined> {
  const prev = await client.query<{ size: string; root: Buffer }>(
    'SELECT size::text AS size, root FROM witness_checkpoints WHERE host_id = $1',
    [hostId],
  );
  const p = prev.rows[0];
  return p === undefined ? undefined : { size: Number(p.size), root: p.root };
}

export async function saveCosigned(
  client: PoolClient,
  hostId: string,
  c: SignedCheckpoint,
  note: string,
): Promise<void> {
  await client.query(
    `INSERT INTO witness_checkpoints (host_id, size, root, note) VALUES ($1, $2, $3, $4)
     ON CONFLICT (host_id) DO UPDATE SET size = EXCLUDED.size, root = EXCLUDED.root, note = EXCLUDED.note, cosigned_at = now()`,
    [hostId, c.size, c.root, note],
  );
}

export async function cosign(
  pool: Pool,
  w: HubWitness,
  host: HostRow,
  note: string,
  proofB64: string[],
  now: bigint,
): Promise<WitnessResult> {
  const c = parseCheckpoint(note);
  if (typeof c === 'string') return { ok: false, status: 400, reason: c, flagged: false };
  const proof: Buffer[] = [];
  for (const p of proofB64) {
    const h = decodeBase64Strict(p);
    if (h === undefined || h.length !== 32)
      return { ok: false, status: 400, reason: 'a proof hash is not base64 of 32 bytes', flagged: false };
    proof.push(h);
  }
  return underHostLock(pool, host, note, c, async (client, refuse) => {
    const why = consistencyFailure(await lastCosigned(client, host.id), c, proof);
    if (why !== undefined) return refuse(why, 409, true);
    await saveCosigned(client, host.id, c, note);
    return { ok: true as const, cosignature: cosignatureLine(c.body, createPrivateKey(w.privatePem), w.key, now) };
  });
}
