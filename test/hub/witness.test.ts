/**
 * Hub witness cosigning end to end on a real PostgreSQL: a host enrolled with its ledger key posts
 * signed checkpoints with RFC 6962 consistency proofs; the hub cosigns each extension, refuses a
 * checkpoint not signed by the pinned key (without flagging), and refuses a rewritten log signed
 * with the host's own key: the refusal is recorded, the host is flagged in `guard hub hosts`, and
 * the old cosignature does not verify on the rewritten checkpoint.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../src/hub/server.js';
import { HubStore } from '../../src/hub/store.js';
import { cosignedBy, formatWitnessVkey, parseWitnessVkey, witnessKey, type WitnessKey } from '../../src/hub/witness.js';
import { consistencyProof, leafHash, subtreeRoot } from '../../src/ledger/merkle.js';
import { formatVkey, parseCheckpoint, rawPublicKey, signCheckpoint, verifierKey } from '../../src/ledger/note.js';
import { formatPubkeyFile } from '../../src/ledger/pubkey.js';
import { BIN } from '../daemon/helpers.js';
import { postgresSkipReason, startPostgres, type Postgres } from '../helpers/postgres.js';
import { guard } from '../ledger/cli-helpers.js';
import { makeHome, smallLedger } from '../ledger/helpers.js';
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

let db: Postgres;
let hub: Hub;
let credential: string;
const host = generateKeyPairSync('ed25519');
const hostKey = verifierKey('wit-host.example/ledger', rawPublicKey(host.publicKey));

const leaves = (n: number, tag = 'rec'): Buffer[] =>
  Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`${tag}-${i}`)));

function checkpoint(l: Buffer[], key: KeyObject = host.privateKey): string {
  return signCheckpoint({ origin: hostKey.name, size: l.length, root: subtreeRoot(l, 0, l.length) }, key, hostKey);
}

async function enrol(name: string, ledgerKey: string): Promise<string> {
  const pool = new pg.Pool({ connectionString: db.url, max: 1 });
  const token = await new HubStore(pool).mintToken(name);
  await pool.end();
  const res = await fetch(`${hub.url}/v1/join`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, ledgerKey }),
  });
  return ((await res.json()) as { credential: string }).credential;
}

async function post(body: unknown, as = credential): Promise<{ status: number; json: Record<string, string> }> {
  const res = await fetch(`${hub.url}/v1/witness`, {
    method: 'POST',
    headers: { authorization: `Bearer ${as}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, string> };
}

const b64 = (hs: Buffer[]): string[] => hs.map((h) => h.toString('base64'));

describe.skipIf(postgresSkipReason() !== undefined)('hub witness', () => {
  beforeAll(async () => {
    db = await startPostgres();
    hub = await startHub({ databaseUrl: db.url, host: '127.0.0.1', port: 0, log: () => undefined });
    credential = await enrol('wit-host', formatPubkeyFile(formatVkey(hostKey)));
  });
  afterAll(async () => {
    await hub?.stop();
    await db?.destroy();
  });

  const history = leaves(9);
  let witness: WitnessKey;
  let cosigned9: string;

  it('cosigns the first checkpoint and each consistent extension', async () => {
    const first = checkpoint(history.slice(0, 5));
    const r1 = await post({ checkpoint: first, proof: [] });
    expect(r1.status, JSON.stringify(r1.json)).toBe(200);
    const w = parseWitnessVkey(r1.json['witnessKey']!);
    if (typeof w === 'string') throw new Error(w);
    witness = w;
    const c1 = parseCheckpoint(first + r1.json['cosignature']!);
    if (typeof c1 === 'string') throw new Error(c1);
    expect(cosignedBy(c1, witness)).toBe(true);

    const next = checkpoint(history);
    const r2 = await post({ checkpoint: next, proof: b64(consistencyProof(history, 5)) });
    expect(r2.status, JSON.stringify(r2.json)).toBe(200);
    cosigned9 = next + r2.json['cosignature']!;
    const c2 = parseCheckpoint(cosigned9);
    if (typeof c2 === 'string') throw new Error(c2);
    expect(cosignedBy(c2, witness)).toBe(true);
    expect(db.sql(`SELECT size FROM witness_checkpoints`).trim()).toBe('9');
  });

  it('refuses a checkpoint not signed by the pinned ledger key, without flagging the host', async () => {
    const other = generateKeyPairSync('ed25519').privateKey;
    const r = await post({ checkpoint: checkpoint(leaves(12), other), proof: [] });
    expect(r.status).toBe(400);
    expect(r.json['error']).toMatch(/not signed by the ledger key pinned/);
    expect(db.sql(`SELECT flagged IS NULL FROM hosts`).trim()).toBe('t');
  });

  it('refuses a rewritten log re-signed with the host key, records it, flags the host, and the old cosignature fails', async () => {
    const rewritten = [...history, ...leaves(3, 'later')];
    rewritten[2] = leafHash(Buffer.from('rewritten'));
    const r = await post({ checkpoint: checkpoint(rewritten), proof: b64(consistencyProof(rewritten, 9)) });
    expect(r.status).toBe(409);
    expect(r.json['error']).toMatch(/rewritten/);
    expect(db.sql(`SELECT count(*) FROM witness_refusals WHERE reason LIKE '%rewritten%'`).trim()).toBe('1');
    // the last cosigned checkpoint is still the honest one
    expect(db.sql(`SELECT size FROM witness_checkpoints`).trim()).toBe('9');

    // not spawnSync: a blocked event loop lets the server close the kept-alive socket under the
    // client's next request (ECONNRESET on a loaded machine)
    const hosts = await promisify(execFile)(process.execPath, [BIN, 'hub', 'hosts'], {
      env: { ...process.env, GUARD_HUB_DATABASE_URL: db.url },
      encoding: 'utf8',
    });
    expect(hosts.stdout).toMatch(/^wit-host\t.*\tFLAGGED: no valid consistency proof from size 9/m);

    // the cosignature of size 9 moved onto the rewritten size-9 checkpoint does not verify
    const line = cosigned9.split('\n').at(-2)! + '\n';
    const forged = parseCheckpoint(checkpoint(rewritten.slice(0, 9)) + line);
    if (typeof forged === 'string') throw new Error(forged);
    expect(cosignedBy(forged, witness)).toBe(false);

    // once flagged, even an honest extension gets no cosignature
    const honest = [...history, ...leaves(2, 'honest')];
    const again = await post({ checkpoint: checkpoint(honest), proof: b64(consistencyProof(honest, 9)) });
    expect(again.status).toBe(409);
    expect(again.json['error']).toMatch(/flagged/);
  });

  it('guard ledger verify --witness passes with the stored cosignature, fails for another witness and for a moved line', async () => {
    const h = makeHome();
    try {
      await (await smallLedger(h, 4)).close();
      const pk = join(h.home, 'pinned.pub');
      expect((await guard(['ledger', 'pubkey', '--out', pk], h.env)).code).toBe(0);
      const cred = await enrol('wit-ledger', readFileSync(pk, 'utf8'));
      const sqlite = new Database(h.dbPath);
      const [last, before] = sqlite.prepare('SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 2').all() as {
        size: number;
        note: string;
      }[];
      const r = await post({ checkpoint: last!.note, proof: [] }, cred);
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      // an extra signature line of its note (the daemon side does not store it yet: the test writes it)
      sqlite.exec('DROP TRIGGER checkpoints_no_update');
      sqlite
        .prepare('UPDATE checkpoints SET note = ? WHERE size = ?')
        .run(last!.note + r.json['cosignature']!, last!.size);
      const verify = (w: string): ReturnType<typeof guard> =>
        guard(['ledger', 'verify', '--db', h.dbPath, '--pubkey', pk, '--witness', w], h.env);

      const ok = await verify(r.json['witnessKey']!);
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain(`up to size ${last!.size}`);

      // a well-formed key of a witness that never cosigned this ledger
      const stranger = witnessKey('guard-hub-00000000', generateKeyPairSync('ed25519').privateKey);
      const unknown = await verify(formatWitnessVkey(stranger));
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/no checkpoint carries a cosignature/);
      expect((await verify('not-a-key')).code).toBe(2);

      // the cosignature of the last checkpoint moved onto an earlier one (a rewritten body)
      sqlite.prepare('UPDATE checkpoints SET note = ? WHERE size = ?').run(last!.note, last!.size);
      sqlite
        .prepare('UPDATE checkpoints SET note = ? WHERE size = ?')
        .run(before!.note + r.json['cosignature']!, before!.size);
      sqlite.close();
      const moved = await verify(r.json['witnessKey']!);
      expect(moved.code).toBe(1);
      expect(moved.stderr).toMatch(/does not verify: it was changed after it was cosigned/);
    } finally {
      h.cleanup();
    }
  });
});
