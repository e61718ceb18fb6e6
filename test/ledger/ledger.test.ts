import { readFileSync, statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openReadOnly } from '../../src/ledger/db.js';
import { LedgerValueError, LedgerWriteError } from '../../src/ledger/index.js';
import { canonicalize } from '../../src/util/canonical.js';
import { makeHome, open, verifyDb, smallLedger, type TestHome } from './helpers.js';
import { guardPaths } from '../../src/config/paths.js';

let h: TestHome;
afterEach(() => h?.cleanup());

describe('ledger storage', () => {
  it('appends contiguous, chained, canonical records sealed by checkpoints', async () => {
    h = makeHome();
    const l = await smallLedger(h, 5);
    const recs = l.read();
    expect(recs.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(recs[0]!.type).toBe('ledger_open');
    expect(recs[0]!.payload).toMatchObject({ key_store: 'file', guard_version: '0.0.0-test' });
    const pk = l.publicKey();
    expect(pk.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    await l.close();
    const r = verifyDb(h, pk.genesis);
    expect(r.size).toBe(6);
    expect(r.checkpointsVerified).toBe(6);
  });

  it('record bytes are exactly the RFC 8785 form of the record', async () => {
    h = makeHome();
    const l = await open(h);
    await l.append('decision', { requestId: 'x', z: 1, a: [true, null, 'é\u2028'], n: -0, f: 1e21 });
    await l.append('decision', { '10': 'integer-like keys sort as strings', '9': 1, '\ud83d\ude00': 'pair' });
    await l.close();
    const db = openReadOnly(h.dbPath);
    const rows = db.prepare('SELECT bytes FROM records').pluck().all() as Buffer[];
    db.close();
    for (const b of rows) expect(canonicalize(JSON.parse(b.toString('utf8'))), 'canonical').toBe(b.toString('utf8'));
    expect(verifyDb(h, l.publicKey().genesis).size).toBe(3); // the verifier's fast path falls back correctly
  });

  it('refuses non-canonical values before writing anything', async () => {
    h = makeHome();
    const l = await open(h);
    const before = l.read().length;
    for (const bad of [{ s: 'lone \ud800' }, { n: NaN }, { u: undefined }, { d: new Date() }, { i: Infinity }]) {
      await expect(l.append('request', bad as never)).rejects.toBeInstanceOf(LedgerValueError);
    }
    await expect(
      l.appendMany([
        { type: 'request', payload: { ok: 1 } },
        { type: 'request', payload: { n: NaN } },
      ]),
    ).rejects.toBeInstanceOf(LedgerValueError);
    expect(l.read().length).toBe(before);
    await l.close();
  });

  it('group-commits concurrent appends: one checkpoint per transaction, every append kept', async () => {
    h = makeHome();
    const l = await open(h);
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => l.append('request', { requestId: `c${i}` })),
    );
    expect(new Set(results.map((r) => r.seq)).size).toBe(200);
    const db = openReadOnly(h.dbPath);
    const cps = db.prepare('SELECT count(*) FROM checkpoints').pluck().get() as number;
    db.close();
    expect(cps).toBeLessThan(20); // 1 for ledger_open + a handful of groups, not 200
    await l.close();
    expect(verifyDb(h, l.publicKey().genesis).size).toBe(201);
  });

  it('filters reads by type, request id, seq and limit', async () => {
    h = makeHome();
    const l = await smallLedger(h, 5);
    await l.append('decision', { requestId: 'r3', effect: 'allow' });
    expect(l.read({ requestId: 'r3' }).map((r) => r.type)).toEqual(['request', 'decision']);
    expect(l.read({ type: 'decision' })).toHaveLength(1);
    expect(l.read({ sinceSeq: 5 }).map((r) => r.seq)).toEqual([6, 7]);
    expect(l.read({ limit: 2 })).toHaveLength(2);
    await l.close();
  });

  it('refuses UPDATE and DELETE through triggers', async () => {
    h = makeHome();
    const l = await smallLedger(h, 1);
    await l.close();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(h.dbPath);
    expect(() => db.prepare('UPDATE records SET type = ? WHERE seq = 1').run('x')).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM checkpoints').run()).toThrow(/append-only/);
    db.close();
  });

  it('keeps the key in a 0600 file in a 0700 dir and records the kind', async () => {
    h = makeHome();
    const l = await open(h);
    await l.close();
    const dir = guardPaths(h.env).keysDir;
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(l.keyStoreKind).toBe('file');
    const files = (await import('node:fs')).readdirSync(dir).filter((f) => f.endsWith('.key'));
    expect(files).toHaveLength(1);
    expect(statSync(`${dir}/${files[0]}`).mode & 0o777).toBe(0o600);
    expect(readFileSync(`${dir}/${files[0]}`, 'utf8')).not.toContain(l.publicKey().genesis);
  });

  it('rotates automatically every N records and by age, and still verifies under the genesis key', async () => {
    h = makeHome();
    const l = await open(h, { rotateEvery: { records: 4 } });
    for (let i = 0; i < 10; i++) await l.append('request', { requestId: `a${i}` });
    const rotations = l.read({ type: 'key_rotation' });
    expect(rotations.length).toBeGreaterThanOrEqual(2);
    expect(l.publicKey().current).not.toBe(l.publicKey().genesis);
    await l.close();
    expect(verifyDb(h, l.publicKey().genesis).keyRotations).toBe(rotations.length);
    const files = (await import('node:fs')).readdirSync(guardPaths(h.env).keysDir).filter((f) => f.endsWith('.key'));
    expect(files).toHaveLength(1); // every retired private key was deleted
    const byAge = await open(h, { rotateEvery: { days: 0 } });
    const before = byAge.read({ type: 'key_rotation' }).length;
    await byAge.append('request', { requestId: 'aged' });
    expect(byAge.read({ type: 'key_rotation' }).length).toBeGreaterThan(before);
    const total = byAge.read().length;
    await byAge.close();
    expect(verifyDb(h, l.publicKey().genesis).size).toBe(total);
  });

  it.each([false, true])(
    'an append resolves only once its record and a checkpoint covering it are committed (writer thread: %s)',
    async (writerThread) => {
      h = makeHome();
      const l = await open(h, { writerThread });
      const other = openReadOnly(h.dbPath); // another connection sees only committed data
      try {
        for (let i = 0; i < 5; i++) {
          const { seq, hash } = await l.append('request', { requestId: `v${i}` });
          const rec = other.prepare('SELECT bytes FROM records WHERE seq = ?').pluck().get(seq) as Buffer;
          const { leafHash } = await import('../../src/ledger/merkle.js');
          expect(leafHash(rec).toString('hex')).toBe(hash);
          expect(other.prepare('SELECT max(size) FROM checkpoints').pluck().get()).toBe(seq);
        }
      } finally {
        other.close();
      }
      await l.close();
      await expect(l.append('request', { requestId: 'late' })).rejects.toBeInstanceOf(LedgerWriteError);
    },
  );

  it.each([false, true])(
    'a running writer follows appends and a rotation by another writer (the daemon while `guard ledger rotate` runs; writer thread: %s)',
    async (writerThread) => {
      h = makeHome();
      const daemon = await open(h, { writerThread });
      await daemon.append('request', { requestId: 'before' });
      const cli = await open(h);
      await cli.append('request', { requestId: 'cli' });
      await daemon.append('request', { requestId: 'between' }); // the tip it wrote last is stale: read again
      await cli.rotate();
      const rotated = cli.publicKey().current;
      await cli.close();
      await daemon.append('request', { requestId: 'after' }); // tip signer changed: loads the new key
      expect(daemon.publicKey().current).toBe(rotated);
      await daemon.close();
      const r = verifyDb(h, daemon.publicKey().genesis);
      expect(r.keyRotations).toBe(1);
      // ledger_open, before, ledger_open (cli), cli, between, key_rotation, after
      expect(r.size).toBe(7);
    },
  );
});
