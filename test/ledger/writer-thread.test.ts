import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openReadOnly } from '../../src/ledger/db.js';
import { LedgerCorruptError, LedgerWriteError } from '../../src/ledger/index.js';
import { buildWriter } from './fault-helpers.js';
import { makeHome, open, verifyDb, type TestHome } from './helpers.js';

let h: TestHome;
afterEach(() => h?.cleanup());

const onThread = (h: TestHome) => open(h, { writerThread: true });

let writer: { file: string; dir: string };
beforeAll(async () => {
  writer = await buildWriter();
});
afterAll(() => rmSync(writer.dir, { recursive: true, force: true }));

/** A writer process on the thread; `killAt`: SIGKILL it when that many appends were acknowledged. */
function runWriter(h: TestHome, count: number, killAt?: number): Promise<{ acked: number[]; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [writer.file, h.dbPath, 'count', String(count), 'w'], {
      env: { ...h.env, LEDGER_WRITER_THREAD: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const acked: number[] = [];
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i !== -1; i = buf.indexOf('\n')) {
        const m = /^ack (\d+) /.exec(buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (m === null) continue;
        acked.push(Number(m[1]));
        if (acked.length === killAt) child.kill('SIGKILL');
      }
    });
    child.on('close', (code) => resolve({ acked, code }));
  });
}

describe('ledger writer thread (the daemon commits off its event loop)', () => {
  it('opening commits ledger_open without booting the thread; the first append after it starts the thread', async () => {
    // the daemon serves sooner when its start-up does not wait for a worker to boot (decision 0040)
    h = makeHome();
    const l = await onThread(h);
    const worker = (): unknown => (l as unknown as { thread?: { worker?: unknown } }).thread?.worker;
    expect((l as unknown as { thread?: unknown }).thread).toBeDefined();
    expect(worker()).toBeUndefined();
    const db = openReadOnly(h.dbPath);
    expect(db.prepare('SELECT type FROM records ORDER BY seq').pluck().all()).toEqual(['ledger_open']);
    db.close();
    expect((await l.append('request', { requestId: 'first' })).seq).toBe(2);
    expect(worker()).toBeDefined();
    await l.close();
    expect(verifyDb(h, l.publicKey().genesis).size).toBe(2);
  });

  it('group-commits concurrent producers: every append kept, chained and sealed, far fewer checkpoints', async () => {
    h = makeHome();
    const l = await onThread(h);
    const producer = async (p: number): Promise<number[]> => {
      const seqs: number[] = [];
      for (let i = 0; i < 8; i++) seqs.push((await l.append('request', { requestId: `p${p}-${i}` })).seq);
      return seqs;
    };
    const seqs = (await Promise.all(Array.from({ length: 32 }, (_, p) => producer(p)))).flat();
    expect(new Set(seqs).size).toBe(256);
    expect(Math.min(...seqs)).toBe(2);
    expect(Math.max(...seqs)).toBe(257);
    const db = openReadOnly(h.dbPath);
    const cps = db.prepare('SELECT count(*) FROM checkpoints').pluck().get() as number;
    db.close();
    expect(cps).toBeLessThan(256);
    await l.close();
    const r = verifyDb(h, l.publicKey().genesis);
    expect(r.size).toBe(257);
    expect(r.checkpointsVerified).toBe(cps);
  });

  it('the event loop runs other work while a commit is in flight (the synchronous writer blocks it)', async () => {
    h = makeHome();
    const order = async (writerThread: boolean): Promise<string[]> => {
      const l = await open(h, { writerThread });
      const seen: string[] = [];
      const appended = l.append('request', { requestId: `o-${writerThread}` }).then(() => seen.push('appended'));
      setImmediate(() => seen.push('other work'));
      await appended;
      await new Promise((r) => setImmediate(r));
      await l.close();
      return seen;
    };
    expect(await order(false)).toEqual(['appended', 'other work']);
    expect(await order(true)).toEqual(['other work', 'appended']);
  });

  it('fails closed when the thread cannot write, and writes nothing partial', async () => {
    h = makeHome();
    const l = await onThread(h);
    await l.append('request', { requestId: 'ok' });
    const raw = new Database(h.dbPath);
    const size = (): number => raw.prepare('SELECT count(*) FROM records').pluck().get() as number;
    raw.exec(`CREATE TRIGGER refuse BEFORE INSERT ON records BEGIN SELECT RAISE(ABORT, 'refused by test'); END;`);
    const before = size();
    await expect(l.append('request', { requestId: 'refused' })).rejects.toThrow(/refused by test/);
    await expect(l.append('request', { requestId: 'refused' })).rejects.toBeInstanceOf(LedgerWriteError);
    expect(size()).toBe(before);
    raw.exec('DROP TRIGGER refuse');
    await l.append('request', { requestId: 'again' });
    expect(size()).toBe(before + 1);
    raw.close();
    await l.close();
    expect(verifyDb(h, l.publicKey().genesis).size).toBe(before + 1);
  });

  it('refuses to write on top of records written outside guard', async () => {
    h = makeHome();
    const l = await onThread(h);
    const { seq, hash } = await l.append('request', { requestId: 'ok' });
    const raw = new Database(h.dbPath);
    raw
      .prepare('INSERT INTO records (seq, type, request_id, bytes) VALUES (?, ?, ?, ?)')
      .run(seq + 1, 'request', null, Buffer.from('x'));
    await expect(l.append('request', { requestId: 'next' })).rejects.toBeInstanceOf(LedgerCorruptError);
    expect(raw.prepare('SELECT max(size) FROM checkpoints').pluck().get()).toBe(seq);
    expect(raw.prepare('SELECT count(*) FROM records').pluck().get()).toBe(seq + 1);
    raw.close();
    await l.close();
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a writer process on the thread exits cleanly once closed, every append on record', async () => {
    h = makeHome();
    const run = await runWriter(h, 40);
    expect(run.code).toBe(0); // not 13 (a close left waiting on a thread that keeps nothing alive)
    expect(run.acked.length).toBe(40);
    const l = await open(h);
    const genesis = l.publicKey().genesis;
    await l.close();
    expect(verifyDb(h, genesis).size).toBe(42); // ledger_open, 40 appends, ledger_open
  });

  it('SIGKILL after acknowledgements: every acknowledged record survives and the ledger verifies', async () => {
    h = makeHome();
    const run = await runWriter(h, 400, 25);
    expect(run.code).toBeNull();
    const l = await open(h); // integrity check and recovery after the unclean stop
    const genesis = l.publicKey().genesis;
    await l.close();
    const r = verifyDb(h, genesis);
    expect(r.size).toBeGreaterThanOrEqual(Math.max(...run.acked));
  });
});
