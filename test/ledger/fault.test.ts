/** Fault suite: writers killed at random points, several writer processes, a full disk. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardPaths } from '../../src/config/paths.js';
import { LedgerWriteError, verifyLedger } from '../../src/ledger/index.js';
import { buildWriter } from './fault-helpers.js';
import { makeHome, open, vk, type TestHome } from './helpers.js';
import { dbSnapshot } from './tamper-helpers.js';

let writer: { file: string; dir: string };
beforeAll(async () => {
  writer = await buildWriter();
});
afterAll(() => rmSync(writer.dir, { recursive: true, force: true }));

function verifyAll(h: TestHome, genesis: string) {
  const s = dbSnapshot(h);
  return {
    result: verifyLedger({ records: s.records, checkpoints: s.checkpoints, trusted: vk(genesis) }),
    records: s.records,
  };
}

/** Start a writer; resolves with the acknowledged seqs once killed (or exited). */
function runWriter(
  h: TestHome,
  args: string[],
  killAfterMs?: number,
): Promise<{ acked: number[]; ids: string[]; code: number | null; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [writer.file, h.dbPath, ...args], {
      env: h.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked: number[] = [];
    const ids: string[] = [];
    let buf = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line === 'ready' && killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        const m = /^ack (\d+) (\S+)$/.exec(line);
        if (m !== null) {
          acked.push(Number(m[1]));
          ids.push(m[2]!);
        }
      }
    });
    child.on('close', (code) => resolveRun({ acked, ids, code, stderr }));
  });
}

describe('fault suite', () => {
  it('SIGKILL of a writer at random points: opens, verifies, nothing acknowledged is lost, no partial record', async () => {
    const h = makeHome();
    try {
      const first = await open(h);
      const genesis = first.publicKey().genesis;
      await first.close();
      const iterations = Number(process.env['LEDGER_KILL_ITERATIONS'] ?? 25);
      let kills = 0;
      let rotations = 0;
      for (let it = 0; it < iterations; it++) {
        const run = await runWriter(h, ['loop', '0', `k${it}`], 5 + Math.floor(Math.random() * 150));
        if (run.code === null) kills++;
        // reopening after the crash runs the integrity check and recovery, then appends ledger_open
        const l = await open(h);
        await l.close();
        const { result, records } = verifyAll(h, genesis);
        const maxAck = Math.max(0, ...run.acked);
        expect(result.size, `iteration ${it}: acknowledged seq ${maxAck} lost`).toBeGreaterThanOrEqual(maxAck);
        expect(records.length).toBe(result.size);
        rotations = result.keyRotations;
      }
      expect(kills).toBe(iterations);
      expect(rotations, 'some kills should land around key rotations').toBeGreaterThan(0);
    } finally {
      h.cleanup();
    }
  });

  it('concurrent writers in several processes keep every append, contiguous and verifiable', async () => {
    const h = makeHome();
    try {
      const l = await open(h);
      const genesis = l.publicKey().genesis;
      await l.close();
      const runs = await Promise.all([0, 1, 2, 3].map((w) => runWriter(h, ['count', '60', `w${w}`])));
      for (const r of runs) {
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
      }
      const { result, records } = verifyAll(h, genesis);
      const ids = records
        .map((b) => JSON.parse(b.toString()) as { type: string; payload: { requestId?: string } })
        .filter((r) => r.type === 'request')
        .map((r) => r.payload.requestId);
      expect(ids).toHaveLength(240);
      expect(new Set(ids).size).toBe(240);
      expect(new Set(runs.flatMap((r) => r.acked)).size).toBe(240);
      expect(result.size).toBe(1 + 4 + 240); // genesis ledger_open, one per writer, the appends
    } finally {
      h.cleanup();
    }
  });

  const canMount = probeMount();
  if (!canMount)
    process.stdout.write(
      'fault suite: skipping the disk-full test: cannot mount a tmpfs (needs root and mount permission)\n',
    );

  it.skipIf(!canMount)('disk full: a clean typed error, nothing partial, still verifies', async () => {
    const mnt = mkdtempSync(join(tmpdir(), 'guard-ledger-full-'));
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=600k', 'tmpfs', mnt]).status).toBe(0);
    const env = { ...process.env, GUARD_HOME: join(mnt, 'home'), GUARD_KEYSTORE: 'file' };
    const h: TestHome = { home: env.GUARD_HOME, env, dbPath: guardPaths(env).ledgerDb, cleanup: () => undefined };
    try {
      const l = await open(h);
      const genesis = l.publicKey().genesis;
      let acked = 0;
      let failure: unknown;
      for (let i = 0; i < 5000 && failure === undefined; i++) {
        try {
          await l.append('request', { requestId: `f${i}`, blob: 'x'.repeat(2000 + i) });
          acked++;
        } catch (err) {
          failure = err;
        }
      }
      expect(failure).toBeInstanceOf(LedgerWriteError);
      expect((failure as Error).message).toMatch(/disk is full/);
      await l.close().catch(() => undefined);
      const { result } = verifyAll(h, genesis);
      expect(result.size).toBe(acked + 1);
    } finally {
      spawnSync('umount', [mnt]);
      rmSync(mnt, { recursive: true, force: true });
    }
  });
});

function probeMount(): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'guard-ledger-probe-'));
  try {
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]).status !== 0) return false;
    return spawnSync('umount', [dir]).status === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
