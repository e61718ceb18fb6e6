/**
 * Ledger throughput: sealed appends next to the raw SQLite fsync-commit rate (same pragmas, one tiny
 * insert per transaction) measured in the same run, group commit with 32 producers, verification.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyBundle } from '../src/ledger/bundle.js';
import { openReadOnly } from '../src/ledger/db.js';
import { exportLedger } from '../src/ledger/export.js';
import { openLedger, type Ledger } from '../src/ledger/index.js';
import { parseVkey, type VerifierKey } from '../src/ledger/note.js';
import { readSnapshot } from '../src/ledger/snapshot.js';
import { verifyLedger } from '../src/ledger/verify.js';
import { fmt, median } from './lib.js';
import type { Suite } from './suites.js';

const payload = (i: number) => ({
  requestId: `req-${i}`,
  argv: ['kubectl', 'delete', 'pod', `web-${i}`],
  cwd: '/srv/app',
  effect: 'approve',
});

function rawRate(dir: string, n: number): number {
  const db = new Database(join(dir, `raw-${Math.random()}.db`));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE t (x INTEGER PRIMARY KEY, v BLOB)');
  const ins = db.prepare('INSERT INTO t (v) VALUES (?)');
  const tx = db.transaction((i: number) => ins.run(Buffer.from(String(i))));
  const t0 = performance.now();
  for (let i = 0; i < n; i++) tx.immediate(i);
  const s = (performance.now() - t0) / 1000;
  db.close();
  return n / s;
}

async function sealedRate(ledger: Ledger, n: number, base: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await ledger.append('request', payload(base + i));
  return n / ((performance.now() - t0) / 1000);
}

async function groupRate(ledger: Ledger, producers: number, total: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: producers }, async () => {
      while (next < total) await ledger.append('request', payload(next++));
    }),
  );
  return total / ((performance.now() - t0) / 1000);
}

const open = (home: string) =>
  openLedger({
    path: join(home, 'ledger.db'),
    env: { ...process.env, GUARD_HOME: home, GUARD_KEYSTORE: 'file' },
    guardVersion: 'bench',
    warn: () => undefined,
  });

export const ledgerSuite: Suite = {
  name: 'ledger',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'guard-bench-ledger-'));
    const out = (s: string) => process.stdout.write(`${s}\n`);
    try {
      const rounds = Number(process.env['BENCH_LEDGER_ROUNDS'] ?? 5);
      const per = Number(process.env['BENCH_LEDGER_PER_ROUND'] ?? 300);
      const single = await open(join(dir, 'single'));
      const raw: number[] = [];
      const sealed: number[] = [];
      rawRate(dir, 50);
      await sealedRate(single, 50, 0);
      for (let r = 0; r < rounds; r++) {
        raw.push(rawRate(dir, per));
        sealed.push(await sealedRate(single, per, (r + 1) * per));
      }
      await single.close();
      const rawM = median(raw);
      const sealedM = median(sealed);
      out(`interleaved rounds: ${rounds} x ${per} commits each (WAL, synchronous=FULL)`);
      out(`raw SQLite commit (1 tiny insert/tx)  median ${fmt(rawM, 0)} commits/s`);
      out(`sealed append, single writer          median ${fmt(sealedM, 0)} records/s`);
      out(`ratio sealed/raw: ${fmt(sealedM / rawM)}  (target >= 0.80)`);

      const group = await open(join(dir, 'group'));
      const total = Number(process.env['BENCH_LEDGER_GROUP'] ?? 20_000);
      const g = await groupRate(group, 32, total);
      await group.close();
      out(`group commit, 32 producers            ${fmt(g, 0)} records/s over ${total} appends  (target >= 5000)`);
      out(`ratio group/raw-commit: ${fmt(g / rawM)}`);

      const big = await open(join(dir, 'verify'));
      const genesis = parseVkey(big.publicKey().genesis) as VerifierKey;
      const n = Number(process.env['BENCH_LEDGER_VERIFY'] ?? 100_000);
      for (let i = 0; i < n; i += 1000)
        await big.appendMany(
          Array.from({ length: 1000 }, (_, k) => ({ type: 'request' as const, payload: payload(i + k) })),
        );
      await big.close();
      const db = openReadOnly(join(dir, 'verify', 'ledger.db'));
      const { bundle, size } = exportLedger(db);
      const snap = readSnapshot(db);
      db.close();
      const timed = (f: () => unknown) => {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        f();
        const cpu = process.cpuUsage(c0);
        return { wall: size / ((performance.now() - t0) / 1000), cpu: size / ((cpu.user + cpu.system) / 1e6) };
      };
      const vb = timed(() => verifyBundle(bundle, genesis));
      const vd = timed(() => verifyLedger({ records: snap.records, checkpoints: snap.checkpoints, trusted: genesis }));
      const load = (await import('node:os')).loadavg()[0]!;
      out(
        `verify bundle (${size} records, ${(bundle.length / 1e6).toFixed(1)} MB)   ${fmt(vb.wall, 0)} records/s wall, ${fmt(vb.cpu, 0)} per CPU-second  (target >= 100000)`,
      );
      out(
        `verify database (${snap.checkpoints.length} checkpoints)         ${fmt(vd.wall, 0)} records/s wall, ${fmt(vd.cpu, 0)} per CPU-second`,
      );
      out(
        `load average during the run: ${fmt(load)} on ${(await import('node:os')).cpus().length} CPUs (wall rates drop when it exceeds the CPU count)`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
