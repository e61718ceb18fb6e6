import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { LedgerCorruptError } from '../../src/ledger/index.js';
import { makeHome, open, type TestHome } from './helpers.js';

let h: TestHome;
afterEach(() => h?.cleanup());

/** Leave the sentinel of a writer process that died without closing. */
function fakeDeadWriter(dbPath: string): void {
  const child = spawnSync(process.execPath, ['-e', '0']);
  mkdirSync(`${dbPath}.writers`, { recursive: true });
  writeFileSync(`${dbPath}.writers/${child.pid}.${randomBytes(8).toString('hex')}`, '');
}

describe('unclean shutdown', () => {
  it('runs the integrity check and refuses appends on corruption', async () => {
    h = makeHome();
    const l = await open(h);
    for (let i = 0; i < 20; i++) await l.append('request', { requestId: `r${i}` });
    await l.close();
    const db = new Database(h.dbPath);
    db.unsafeMode(true);
    db.pragma('writable_schema = ON');
    db.prepare(
      "UPDATE sqlite_schema SET sql = replace(sql, '(type, seq)', '(seq, type)') WHERE name = 'records_type'",
    ).run();
    db.close();
    fakeDeadWriter(h.dbPath);
    await expect(open(h)).rejects.toBeInstanceOf(LedgerCorruptError);
    await expect(open(h)).resolves.toBeDefined(); // control: after a clean start the check is not run
  });

  it('writes a recovery record for commands that started and never ended', async () => {
    h = makeHome();
    const l = await open(h);
    await l.append('exec_start', { requestId: 'a' });
    await l.append('exec_start', { requestId: 'b' });
    await l.append('exec_end', { requestId: 'a', exit_code: 0 });
    await l.close();
    fakeDeadWriter(h.dbPath);
    const l2 = await open(h);
    expect(l2.read({ type: 'recovery' }).map((r) => (r.payload as { requestId: string }).requestId)).toEqual(['b']);
    await l2.close();
    fakeDeadWriter(h.dbPath);
    const l3 = await open(h);
    expect(l3.read({ type: 'recovery' })).toHaveLength(1); // not reported twice
    await l3.close();
  });
});
