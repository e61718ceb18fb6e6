/**
 * Evidence forwarding end to end on a real PostgreSQL: a real daemon enrolled with a real
 * `guard hub start` forwards its ledger records and checkpoints; the hub holds exactly the host's
 * records (same count, same leaf hashes) after the hub restarts and after the host restarts with
 * records the hub has not seen; a batch sent again is accepted without a duplicate; the host stores
 * each cosignature beside its checkpoint, so `guard ledger export` + `guard ledger verify --witness`
 * pass; a host that rewrites an already-cosigned checkpoint with its own key is refused, recorded
 * and flagged by the hub, and fails `guard ledger verify --witness`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileKeyStore } from '../../src/keys/index.js';
import { Frontier, leafHash, subtreeRoot } from '../../src/ledger/merkle.js';
import { parseCheckpoint, signCheckpoint } from '../../src/ledger/note.js';
import { loadSigner } from '../../src/ledger/signer.js';
import { Rig } from '../daemon/helpers.js';
import { postgresSkipReason, startPostgres, type Postgres } from '../helpers/postgres.js';
import { joinHost, startReplica, until, type Replica } from './fleet.js';

let pg: Postgres;
let hub: Replica;
let rig: Rig;
let hostId: string;
let listen: string;

const home = (): string => rig.env['GUARD_HOME']!;
const dbPath = (): string => join(home(), 'ledger.db');

function hostLedger(): { leaves: string[]; checkpoint: number; cosigned: number[] } {
  const db = new Database(dbPath(), { readonly: true });
  try {
    const rows = db.prepare('SELECT bytes FROM records ORDER BY seq').raw().all() as [Buffer][];
    const cp = db.prepare('SELECT max(size) FROM checkpoints').raw().get() as [number];
    const has = db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'checkpoint_cosignatures'`).get();
    const cosigned =
      has === undefined
        ? []
        : (db.prepare('SELECT size FROM checkpoint_cosignatures ORDER BY size').raw().all() as [number][]).map(
            ([s]) => s,
          );
    return { leaves: rows.map(([b]) => leafHash(b).toString('hex')), checkpoint: cp[0], cosigned };
  } finally {
    db.close();
  }
}

function hubLeaves(): string[] {
  const out = pg.sql(`SELECT encode(leaf, 'hex') FROM evidence_records WHERE host_id = '${hostId}' ORDER BY seq`);
  return out.split('\n').filter(Boolean);
}

const hubHead = (): number => Number(pg.sql(`SELECT coalesce(max(size), 0) FROM evidence_heads`).trim());

/** Waits until the hub holds every record up to the host's last checkpoint, and its cosignature is stored. */
async function forwarded(): Promise<void> {
  await until(() => {
    const h = hostLedger();
    return hubHead() === h.checkpoint && h.cosigned.includes(h.checkpoint);
  }, 'the host ledger forwarded and cosigned');
}

async function runAllowed(n: number): Promise<void> {
  for (let i = 0; i < n; i++) expect((await rig.exec('harmless').done).code).toBe(0);
}

function witnessVkey(): string {
  return pg.sql(`SELECT public_key FROM hub_keys WHERE name = 'witness'`).trim();
}

describe.skipIf(postgresSkipReason() !== undefined)('hub evidence forwarding', () => {
  beforeAll(async () => {
    pg = await startPostgres();
    hub = await startReplica(pg);
    listen = hub.url.replace(/^http:\/\//, '');
    rig = new Rig();
    // a first start creates the ledger, whose key `guard hub join` pins on the hub
    await rig.startDaemon();
    const pub = await rig.guard(['ledger', 'pubkey', '--out', join(home(), 'ledger.pub')]);
    expect(pub.code, pub.stderr).toBe(0);
    await rig.stopAll();
    const section = await joinHost(rig, pg, hub.url, 'fwd-host');
    mkdirSync(home(), { recursive: true, mode: 0o700 });
    writeFileSync(join(home(), 'config.yaml'), section);
    hostId = pg.sql(`SELECT id FROM hosts WHERE name = 'fwd-host'`).trim();
    await rig.startDaemon();
  }, 120_000);
  afterAll(async () => {
    if (process.env['HUB_DEBUG'] !== undefined) {
      console.log(hub?.log());
      console.log(readFileSync(join(home(), 'daemon.log'), 'utf8'));
    }
    await rig?.cleanup();
    hub?.child.kill('SIGKILL');
    await pg?.destroy();
  });

  it('forwards every record in order and resumes after the hub and the host restart, with no gap or duplicate', async () => {
    await runAllowed(3);
    await forwarded();
    expect(hubLeaves()).toEqual(hostLedger().leaves);

    // the hub goes away; records written meanwhile reach the new process on the same address
    hub.child.kill('SIGKILL');
    await runAllowed(2);
    const written = hostLedger().leaves.length;
    expect(hubHead()).toBeLessThan(written);
    hub = await startReplica(pg, undefined, listen);
    await forwarded();
    expect(hubLeaves()).toEqual(hostLedger().leaves);

    // the host stops with records the hub has not seen (the hub is down); both come back
    hub.child.kill('SIGKILL');
    await runAllowed(2);
    await rig.stopAll();
    const before = hubHead();
    expect(before).toBeLessThan(hostLedger().checkpoint);
    hub = await startReplica(pg, undefined, listen);
    await rig.startDaemon();
    await runAllowed(1);
    await forwarded();
    const host = hostLedger();
    expect(hubLeaves()).toEqual(host.leaves);
    expect(Number(pg.sql(`SELECT count(*) FROM evidence_records WHERE host_id = '${hostId}'`).trim())).toBe(
      host.leaves.length,
    );
    expect(pg.sql(`SELECT count(*) FROM hosts WHERE flagged IS NOT NULL`).trim()).toBe('0');
  }, 180_000);

  it('accepts a batch sent again (its answer lost) without storing it twice', async () => {
    const credential = readFileSync(join(home(), 'hub.credential'), 'utf8').trim();
    const db = new Database(dbPath(), { readonly: true });
    const records = (db.prepare('SELECT bytes FROM records WHERE seq <= 3 ORDER BY seq').raw().all() as [Buffer][]).map(
      ([b]) => b.toString('base64'),
    );
    const cp = db.prepare('SELECT size, note FROM checkpoints WHERE size <= 3 ORDER BY size DESC LIMIT 1').get() as {
      size: number;
      note: string;
    };
    db.close();
    const count = pg.sql(`SELECT count(*) FROM evidence_records`).trim();
    const res = await fetch(`${hub.url}/v1/evidence`, {
      method: 'POST',
      headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from: 1, records: records.slice(0, cp.size), checkpoint: cp.note }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as { cosignature: string };
    expect(body.cosignature).toBe(
      pg
        .sql(`SELECT cosignature FROM evidence_checkpoints WHERE host_id = '${hostId}' AND size = ${cp.size}`)
        .trimEnd() + '\n',
    );
    expect(pg.sql(`SELECT count(*) FROM evidence_records`).trim()).toBe(count);
  });

  it('exports a bundle carrying the cosignatures: ledger verify --witness passes', async () => {
    const out = join(rig.home, 'host.bundle');
    const exp = await rig.guard(['ledger', 'export', '--out', out]);
    expect(exp.code, exp.stderr).toBe(0);
    const pub = join(home(), 'ledger.pub');
    const ok = await rig.guard(['ledger', 'verify', out, '--pubkey', pub, '--witness', witnessVkey()]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/cosigned/);
    const db = await rig.guard(['ledger', 'verify', '--db', dbPath(), '--pubkey', pub, '--witness', witnessVkey()]);
    expect(db.code, db.stderr).toBe(0);
  });

  it("guard hub export writes a bundle from the hub's copy that ledger verify and evidence pack accept", async () => {
    await forwarded();
    const admin = { env: { ...rig.env, GUARD_HUB_DATABASE_URL: pg.url } };
    const pub = join(home(), 'ledger.pub');
    const out = join(rig.home, 'hub.bundle');
    // the host keeps forwarding while the export runs (a record it writes meanwhile is sealed and
    // sent at once): the bundle covers what the hub held at some instant between these two reads
    const headBefore = hubHead();
    const all = await rig.guard(
      ['hub', 'export', '--host', 'fwd-host', '--period', '2000-01-01..2999-12-31', '--out', out, '--json'],
      admin,
    );
    expect(all.code, all.stderr).toBe(0);
    const summary = JSON.parse(all.stdout) as { size: number; inPeriod: number; notCoveredAfter: string | null };
    expect(summary.size).toBeGreaterThanOrEqual(headBefore);
    expect(summary.size).toBeLessThanOrEqual(hubHead());
    expect(summary.inPeriod).toBe(summary.size);
    // the period reaches past what the hub holds: said, not hidden
    expect(summary.notCoveredAfter).not.toBeNull();
    const ok = await rig.guard(['ledger', 'verify', out, '--pubkey', pub, '--witness', witnessVkey()]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const pack = join(rig.home, 'pack');
    const packed = await rig.guard([
      'evidence',
      'pack',
      out,
      '--period',
      '2000-01-01..2999-12-31',
      '--pubkey',
      pub,
      '--out',
      pack,
      '--json',
    ]);
    expect(packed.code, packed.stderr).toBe(0);
    expect(JSON.parse(packed.stdout)).toMatchObject({ rejected: [] });

    // a period that ends inside the log: records up to the first checkpoint sealing it
    const mid = Math.floor(hubHead() / 2) + 1;
    const ts = pg.sql(`SELECT ts FROM evidence_records WHERE host_id = '${hostId}' AND seq = ${mid}`).trim();
    const part = join(rig.home, 'part.bundle');
    const r = await rig.guard(
      ['hub', 'export', '--host', 'fwd-host', '--period', `2000-01-01T00:00:00Z..${ts}`, '--out', part, '--json'],
      admin,
    );
    expect(r.code, r.stderr).toBe(0);
    const p = JSON.parse(r.stdout) as { size: number; notCoveredAfter: string | null };
    expect(p.notCoveredAfter).toBeNull();
    expect(p.size).toBeGreaterThanOrEqual(mid - 1);
    expect(p.size).toBeLessThanOrEqual(hubHead());
    expect(
      Number(
        pg
          .sql(
            `SELECT count(*) FROM evidence_checkpoints WHERE host_id = '${hostId}' AND size >= ${mid - 1} AND size < ${p.size}`,
          )
          .trim(),
      ),
    ).toBe(0);
    const partOk = await rig.guard(['ledger', 'verify', part, '--pubkey', pub, '--witness', witnessVkey()]);
    expect(partOk.code, partOk.stderr).toBe(0);

    // an unknown host is a usage error, nothing written
    const none = await rig.guard(
      ['hub', 'export', '--host', 'no-such-host', '--period', '2000-01-01..2999-12-31', '--out', join(rig.home, 'x')],
      admin,
    );
    expect(none.code).toBe(64);
    expect(none.stderr).toMatch(/no host named no-such-host/);
  }, 120_000);

  it('detects a host that rewrites an already-cosigned checkpoint with its own key: hub and ledger verify --witness', async () => {
    await forwarded();
    await rig.stopAll();
    const { checkpoint: n } = hostLedger();
    expect(hubHead()).toBe(n);
    // the holder of the host's key changes the last record and signs its checkpoint again
    const db = new Database(dbPath());
    const meta = db.prepare(`SELECT v FROM meta WHERE k = 'genesis_key'`).get() as { v: string };
    const signer = await loadSigner(new FileKeyStore(join(home(), 'keys')), meta.v);
    const last = (db.prepare('SELECT bytes FROM records WHERE seq = ?').get(n) as { bytes: Buffer }).bytes;
    const rewritten = Buffer.from(last.toString('utf8').replace(/"ts":"[^"]+"/, '"ts":"2000-01-01T00:00:00.000Z"'));
    expect(rewritten.equals(last)).toBe(false);
    const leaves = (db.prepare('SELECT bytes FROM records ORDER BY seq').raw().all() as [Buffer][]).map(([b], i) =>
      leafHash(i + 1 === n ? rewritten : b),
    );
    const old = parseCheckpoint(
      (db.prepare('SELECT note FROM checkpoints WHERE size = ?').get(n) as { note: string }).note,
    );
    if (typeof old === 'string') throw new Error(old);
    const note = signCheckpoint(
      { origin: old.origin, size: n, root: subtreeRoot(leaves, 0, n) },
      signer.privateKey,
      signer.vk,
    );
    db.exec('DROP TRIGGER records_no_update; DROP TRIGGER checkpoints_no_update');
    db.prepare('UPDATE records SET bytes = ? WHERE seq = ?').run(rewritten, n);
    // and the writer's cache of the tip, so that the daemon goes on from the rewritten record
    const frontier = new Frontier();
    for (const l of leaves) frontier.append(l);
    db.prepare('UPDATE checkpoints SET note = ?, frontier = ?, last_hash = ? WHERE size = ?').run(
      note,
      frontier.serialize(),
      leaves[n - 1]!.toString('hex'),
      n,
    );
    db.close();

    const pub = join(home(), 'ledger.pub');
    // the ledger itself still verifies under the host's key: only the witness sees the rewrite
    const plain = await rig.guard(['ledger', 'verify', '--db', dbPath(), '--pubkey', pub]);
    expect(plain.code, plain.stderr).toBe(0);
    const witnessed = await rig.guard([
      'ledger',
      'verify',
      '--db',
      dbPath(),
      '--pubkey',
      pub,
      '--witness',
      witnessVkey(),
    ]);
    expect(witnessed.code).toBe(1);
    expect(witnessed.stderr).toMatch(new RegExp(`checkpoint at size ${n} .* changed after it was cosigned`));

    // the daemon goes on writing and forwards: the next record does not chain to what the hub holds
    await rig.startDaemon();
    await runAllowed(1);
    await until(() => pg.sql(`SELECT flagged FROM hosts WHERE id = '${hostId}'`).trim() !== '', 'the host flagged');
    expect(pg.sql(`SELECT flagged FROM hosts WHERE id = '${hostId}'`)).toMatch(/rewritten/);
    expect(Number(pg.sql(`SELECT count(*) FROM witness_refusals WHERE host_id = '${hostId}'`).trim())).toBeGreaterThan(
      0,
    );
    // the hub keeps the records as first forwarded
    expect(hubLeaves()).toHaveLength(n);
    expect(hubHead()).toBe(n);
    const held = pg.sql(`SELECT encode(bytes, 'hex') FROM evidence_records WHERE host_id = '${hostId}' AND seq = ${n}`);
    expect(Buffer.from(held.trim(), 'hex').equals(last)).toBe(true);
  }, 120_000);
});
