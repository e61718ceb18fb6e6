import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { guard } from './cli-helpers.js';
import { makeHome, smallLedger, type TestHome } from './helpers.js';

let h: TestHome;
afterEach(() => h?.cleanup());

describe('guard ledger CLI', () => {
  it('pubkey, export, verify (with state), export --since-checkpoint, show', async () => {
    h = makeHome();
    const l = await smallLedger(h, 4);
    const pk = join(h.home, 'pinned.pub');
    const r1 = await guard(['ledger', 'pubkey', '--out', pk], h.env);
    expect(r1.code).toBe(0);
    expect(r1.stdout).toContain(l.publicKey().genesis);
    expect(r1.stdout).toContain(l.publicKey().fingerprint);
    const b1 = join(h.home, 'one.tar');
    expect((await guard(['ledger', 'export', '--out', b1], h.env)).code).toBe(0);
    const state = join(h.home, 'state');
    const v1 = await guard(['ledger', 'verify', b1, '--pubkey', pk, '--state', state], h.env);
    expect(v1.stderr).toBe('');
    expect(v1.code).toBe(0);
    expect(readFileSync(state, 'utf8')).toMatch(/^guard-ledger-state 1\n/);
    await l.append('decision', { requestId: 'r1', effect: 'deny' });
    await l.close();
    const b2 = join(h.home, 'two.tar');
    const e2 = await guard(['ledger', 'export', '--out', b2, '--since-checkpoint', b1, '--json'], h.env);
    expect(e2.code).toBe(0);
    expect(JSON.parse(e2.stdout)).toMatchObject({ size: 6, previousSize: 5 });
    const v2 = await guard(['ledger', 'verify', b2, '--pubkey', pk, '--state', state, '--json'], h.env);
    expect(v2.code).toBe(0);
    expect(JSON.parse(v2.stdout)).toMatchObject({ ok: true, size: 6 });
    // rollback: the older bundle no longer passes against the saved state
    const v3 = await guard(['ledger', 'verify', b1, '--pubkey', pk, '--state', state], h.env);
    expect(v3.code).toBe(1);
    expect(v3.stderr).toMatch(/rollback/);
    const vdb = await guard(['ledger', 'verify', '--db', h.dbPath, '--pubkey', pk], h.env);
    expect(vdb.code).toBe(0);
    const show = await guard(['ledger', 'show', '--json', '--request', 'r1'], h.env);
    expect(
      show.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { type: string }).type),
    ).toEqual(['request', 'decision']);
    const since = await guard(['ledger', 'show', '--since', '5', '--type', 'decision'], h.env);
    expect(since.stdout).toMatch(/^\s+6 .*decision/);
  });

  it('verify: usage and trust-anchor errors exit 2', async () => {
    h = makeHome();
    const l = await smallLedger(h, 1);
    await l.close();
    const pk = join(h.home, 'pinned.pub');
    await guard(['ledger', 'pubkey', '--out', pk], h.env);
    expect((await guard(['ledger', 'verify', '--db', h.dbPath], h.env)).code).toBe(2);
    expect((await guard(['ledger', 'verify', '--pubkey', pk], h.env)).code).toBe(2);
    expect((await guard(['ledger', 'verify', 'a', 'b', '--pubkey', pk], h.env)).code).toBe(2);
    expect((await guard(['ledger', 'verify', '--db', h.dbPath, '--pubkey', pk, '--bogus'], h.env)).code).toBe(2);
    expect((await guard(['ledger', 'verify', '--db', h.dbPath, '--pubkey', join(h.home, 'missing')], h.env)).code).toBe(
      2,
    );
    writeFileSync(join(h.home, 'bad.pub'), 'not a key\n');
    expect((await guard(['ledger', 'verify', '--db', h.dbPath, '--pubkey', join(h.home, 'bad.pub')], h.env)).code).toBe(
      2,
    );
    const badState = join(h.home, 'bad.state');
    writeFileSync(badState, 'guard-ledger-state 1\norigin x\nsize 1\nroot !!\n');
    expect((await guard(['ledger', 'verify', '--db', h.dbPath, '--pubkey', pk, '--state', badState], h.env)).code).toBe(
      2,
    );
    expect((await guard(['ledger', 'verify', '--db', h.dbPath, '--pubkey', pk], h.env)).code).toBe(0);
  });

  it('rotate: new key, hand-over checkpoint, old key deleted; still verifies under the genesis key', async () => {
    h = makeHome();
    const l = await smallLedger(h, 2);
    await l.close();
    const pk = join(h.home, 'pinned.pub');
    await guard(['ledger', 'pubkey', '--out', pk], h.env);
    const r = await guard(['ledger', 'rotate', '--json'], h.env);
    expect(r.code).toBe(0);
    const keys = JSON.parse(r.stdout) as { previous: string; current: string; genesis: string };
    expect(keys.current).not.toBe(keys.previous);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(join(h.home, 'keys')).filter((f) => f.endsWith('.key'))).toHaveLength(1);
    const v = await guard(['ledger', 'verify', '--db', h.dbPath, '--pubkey', pk, '--json'], h.env);
    expect(v.stderr).toBe('');
    expect(JSON.parse(v.stdout)).toMatchObject({ keyRotations: 1 });
  });

  it('verify --db: tampering through SQL exits 1 naming the record; a garbage file exits 1 without crashing', async () => {
    h = makeHome();
    const l = await smallLedger(h, 4);
    await l.close();
    const pk = join(h.home, 'pinned.pub');
    await guard(['ledger', 'pubkey', '--out', pk], h.env);
    const Database = (await import('better-sqlite3')).default;
    const { copyFileSync } = await import('node:fs');
    const edited = join(h.home, 'edited.db');
    copyFileSync(h.dbPath, edited);
    let db = new Database(edited);
    db.exec('DROP TRIGGER records_no_update; DROP TRIGGER records_no_delete');
    const row = db.prepare('SELECT bytes FROM records WHERE seq = 3').pluck().get() as Buffer;
    db.prepare('UPDATE records SET bytes = ? WHERE seq = 3').run(Buffer.from(row.toString().replace('echo', 'ekho')));
    db.close();
    const v1 = await guard(['ledger', 'verify', '--db', edited, '--pubkey', pk], h.env);
    expect(v1.code).toBe(1);
    expect(v1.stderr).toMatch(/checkpoint at size 3: root .* record 3 was changed/);
    const deleted = join(h.home, 'deleted.db');
    copyFileSync(h.dbPath, deleted);
    db = new Database(deleted);
    db.exec('DROP TRIGGER records_no_delete; DELETE FROM records WHERE seq = 2');
    db.close();
    const v2 = await guard(['ledger', 'verify', '--db', deleted, '--pubkey', pk], h.env);
    expect(v2.code).toBe(1);
    expect(v2.stderr).toMatch(/record 2: missing from the database/);
    const garbage = join(h.home, 'garbage.db');
    writeFileSync(garbage, Buffer.alloc(8192, 0x41));
    const v3 = await guard(['ledger', 'verify', '--db', garbage, '--pubkey', pk], h.env);
    expect(v3.code).toBe(1);
    expect(v3.stderr).toMatch(/cannot be read/);
  });
});
