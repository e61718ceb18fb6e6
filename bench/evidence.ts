/**
 * Evidence pack and streaming verification at scale: 10 host bundles of 100,000 records each
 * (1,000,000 in all; a realistic mix of allowed, held and denied commands) built directly with the
 * ledger's record and checkpoint encoders, then
 *   - `guard ledger verify` of one 1,000,000-record bundle: records/s and peak RSS (target ≥ 200k/s, ≤ 256 MB);
 *   - `guard evidence pack` over the 10 bundles, PDF included: wall time and peak RSS.
 * Sizes: BENCH_EVIDENCE_HOSTS (10), BENCH_EVIDENCE_PER_HOST (100000), BENCH_VERIFY_RECORDS (1000000).
 */
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Frontier, leafHash } from '../src/ledger/merkle.js';
import { formatVkey, rawPublicKey, signCheckpoint, verifierKey } from '../src/ledger/note.js';
import { formatPubkeyFile } from '../src/ledger/pubkey.js';
import { recordBytes } from '../src/ledger/record.js';
import type { RecordType } from '../src/ledger/types.js';
import { writeTar } from '../src/ledger/tar.js';
import { fmt } from './lib.js';
import type { Suite } from './suites.js';

const BIN = join(process.cwd(), 'bin', 'guard.js');

/** Records of one host: 85% allowed (4 records), 12% held and approved (6), 3% denied (2). */
function* hostRecords(host: number, n: number): Generator<[RecordType, string]> {
  let i = 0;
  let c = 0;
  const base = Date.parse('2026-01-05T08:00:00.000Z');
  while (i < n) {
    const id = `rq-${host.toString(16).padStart(4, '0')}${c.toString(16).padStart(8, '0')}`;
    const r = c % 100;
    c++;
    const fp = createHash('sha256').update(id).digest('hex');
    const items: [RecordType, object][] = [
      [
        'request',
        {
          requestId: id,
          argv: ['kubectl', 'delete', 'pod', `web-${c}`],
          command: `kubectl delete pod web-${c}`,
          cwd: '/srv/app',
          fingerprint: fp,
          requester: { user: 'agent' },
        },
      ],
    ];
    if (r < 85) {
      items.push([
        'decision',
        { requestId: id, source: 'policy', effect: 'allow', risk: 'low', rules: [], policyDigest: 'sha256:p1' },
      ]);
      items.push(['exec_start', { requestId: id, execId: `ex-${c}`, fingerprint: fp }]);
      items.push(['exec_end', { requestId: id, execId: `ex-${c}`, exitCode: 0, signal: null, durationMs: 12 }]);
    } else if (r < 97) {
      items.push([
        'decision',
        {
          requestId: id,
          source: 'policy',
          effect: 'approve',
          risk: 'high',
          rules: ['k8s.delete'],
          policyDigest: 'sha256:p1',
        },
      ]);
      items.push([
        'approval',
        {
          requestId: id,
          approver: `ops${c % 7}`,
          action: 'approve',
          channel: 'cli',
          at: '',
          fingerprint: fp,
          signature: 'c2ln',
          key: `sha256:${c % 7}`,
        },
      ]);
      items.push(['decision', { requestId: id, source: 'quorum', state: 'approved', approvers: [`ops${c % 7}`] }]);
      items.push(['exec_start', { requestId: id, execId: `ex-${c}`, fingerprint: fp, grant: id }]);
      items.push(['exec_end', { requestId: id, execId: `ex-${c}`, exitCode: 0, signal: null, durationMs: 40 }]);
    } else {
      items.push([
        'decision',
        {
          requestId: id,
          source: 'policy',
          effect: 'deny',
          risk: 'critical',
          rules: ['k8s.prod'],
          policyDigest: 'sha256:p1',
        },
      ]);
    }
    for (const [type, payload] of items) {
      if (i++ >= n) return;
      yield [type, JSON.stringify(sortKeys(payload))];
    }
    void base;
  }
}

function sortKeys(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(sortKeys);
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
  );
}

/** Write a bundle for `n` records of one synthetic host, streaming the records to disk. */
async function writeHostBundle(dir: string, host: number, n: number): Promise<{ bundle: string; pubkey: string }> {
  const origin = `bench.host/${host}`;
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const vk = verifierKey(origin, rawPublicKey(publicKey));
  const recFile = join(dir, `records-${host}`);
  const fd = openSync(recFile, 'w');
  const tree = new Frontier();
  const hash = createHash('sha256');
  let prev = '';
  let seq = 0;
  const t0 = Date.parse('2026-01-05T08:00:00.000Z');
  let buf: Buffer[] = [];
  let pending = 0;
  const flush = () => {
    const b = Buffer.concat(buf);
    hash.update(b);
    writeSync(fd, b);
    buf = [];
    pending = 0;
  };
  for (const [type, payload] of hostRecords(host, n)) {
    seq++;
    const ts = new Date(t0 + seq * 2000).toISOString();
    const bytes = recordBytes(seq, ts, type, prev, payload);
    const leaf = leafHash(bytes);
    prev = leaf.toString('hex');
    tree.append(leaf);
    buf.push(bytes, Buffer.from('\n'));
    pending += bytes.length + 1;
    if (pending > 1 << 22) flush();
  }
  flush();
  closeSync(fd);
  const checkpoint = signCheckpoint({ origin, size: n, root: tree.root() }, privateKey, vk);
  const size = statSync(recFile).size;
  const small = [
    { name: 'VERIFY', data: Buffer.from('bench bundle\n') },
    { name: `checkpoints/${n}`, data: Buffer.from(checkpoint) },
  ];
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const manifest = `guard-ledger-bundle 1\norigin ${origin}\nsize ${n}\nsha256 ${sha(small[0]!.data)} ${small[0]!.data.length} VERIFY\nsha256 ${hash.digest('hex')} ${size} records\nsha256 ${sha(small[1]!.data)} ${small[1]!.data.length} checkpoints/${n}\n`;
  // records first (its header is built from a one-byte stand-in, then patched to the real size)
  const bundle = join(dir, `host-${host}.tar`);
  const header = writeTar([{ name: 'records', data: Buffer.alloc(0) }]).subarray(0, 512);
  header.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  header.write('        ', 148, 'ascii');
  let sum = 0;
  for (const x of header) sum += x;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  const out = openSync(bundle, 'w');
  writeSync(out, header);
  await new Promise<void>((res, rej) => {
    const s = createReadStream(recFile);
    s.on('data', (c) => writeSync(out, c as Buffer));
    s.on('end', () => res());
    s.on('error', rej);
  });
  writeSync(out, Buffer.alloc((512 - (size % 512)) % 512));
  writeSync(out, writeTar([{ name: 'MANIFEST', data: Buffer.from(manifest) }, ...small]));
  closeSync(out);
  rmSync(recFile);
  const pubkey = join(dir, `host-${host}.pub`);
  writeFileSync(pubkey, formatPubkeyFile(formatVkey(vk)));
  return { bundle, pubkey };
}

/** Wall and CPU (user + system) seconds and peak RSS (MB) of a command, from GNU time. */
function measured(args: string[]): { seconds: number; cpu: number; peakMb: number; stdout: string } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', process.execPath, BIN, ...args], { encoding: 'utf8' });
  const m = /([0-9.]+) ([0-9]+) ([0-9.]+) ([0-9.]+)\s*$/.exec(r.stderr);
  if (m === null || (r.status !== 0 && r.status !== 1))
    throw new Error(`guard ${args[0]} failed (${r.status}): ${r.stderr.slice(-400)}`);
  if (r.stdout === '') throw new Error(`guard ${args[0]}: no output: ${r.stderr.slice(-400)}`);
  return { seconds: Number(m[1]), cpu: Number(m[3]) + Number(m[4]), peakMb: Number(m[2]) / 1024, stdout: r.stdout };
}

export const evidenceSuite: Suite = {
  name: 'evidence',
  async run() {
    const out = (s: string) => process.stdout.write(`${s}\n`);
    const dir = mkdtempSync(join(tmpdir(), 'guard-bench-evidence-'));
    try {
      const hosts = Number(process.env['BENCH_EVIDENCE_HOSTS'] ?? 10);
      const per = Number(process.env['BENCH_EVIDENCE_PER_HOST'] ?? 100_000);
      const big = Number(process.env['BENCH_VERIFY_RECORDS'] ?? 1_000_000);
      const single = await writeHostBundle(dir, 999, big);
      const mb = statSync(single.bundle).size / 1e6;
      const v = measured(['ledger', 'verify', single.bundle, '--pubkey', single.pubkey, '--json']);
      out(
        `ledger verify, one bundle of ${big} records (${fmt(mb, 0)} MB): ${fmt(big / v.seconds, 0)} records/s wall, ${fmt(big / v.cpu, 0)} records/s of CPU, peak RSS ${fmt(v.peakMb, 0)} MB  (targets >= 200000/s, <= 256 MB)`,
      );
      rmSync(single.bundle);
      const made = [];
      for (let h = 0; h < hosts; h++) made.push(await writeHostBundle(dir, h, per));
      const p = measured([
        'evidence',
        'pack',
        ...made.map((m) => m.bundle),
        '--pubkey',
        ...made.map((m) => m.pubkey),
        '--period',
        '2026-01-01..2026-12-31',
        '--sample',
        '25',
        '--seed',
        'bench',
        '--out',
        join(dir, 'pack'),
        '--json',
      ]);
      const s = JSON.parse(p.stdout) as { population: number; records: number };
      out(
        `evidence pack, ${hosts} hosts x ${per} records (${s.records} verified, population ${s.population}, PDF included): ${fmt(p.seconds, 1)} s, ${fmt(s.records / p.seconds, 0)} records/s wall, ${fmt(s.records / p.cpu, 0)} records/s of CPU, peak RSS ${fmt(p.peakMb, 0)} MB`,
      );
      out(`load average (1 min) during the run: ${fmt(loadavg()[0]!, 2)} on 2 cores`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
