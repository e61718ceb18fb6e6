import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBundle, type BundleParts } from '../../src/ledger/bundle.js';
import { openReadOnly } from '../../src/ledger/db.js';
import { Frontier, leafHash } from '../../src/ledger/merkle.js';
import { signCheckpoint, type VerifierKey } from '../../src/ledger/note.js';
import { recordBytes } from '../../src/ledger/record.js';
import { readSnapshot } from '../../src/ledger/snapshot.js';
import { readTar, writeTar } from '../../src/ledger/tar.js';
import type { RecordType } from '../../src/ledger/types.js';
import { canonicalize } from '../../src/util/canonical.js';
import { makeHome, open, vk, type TestHome } from './helpers.js';

/** Parts of a real export of the test ledger (via the real exporter). */
export async function exportParts(h: TestHome): Promise<{ bundle: Buffer; parts: BundleParts }> {
  const { exportLedger } = await import('../../src/ledger/export.js');
  const db = openReadOnly(h.dbPath);
  try {
    const { bundle } = exportLedger(db);
    return { bundle, parts: partsOf(bundle) };
  } finally {
    db.close();
  }
}

export function partsOf(bundle: Buffer): BundleParts {
  const entries = readTar(bundle);
  if (typeof entries === 'string') throw new Error(entries);
  const get = (n: string) => entries.find((e) => e.name === n)!.data;
  const manifest = get('MANIFEST').toString();
  const origin = /^origin (\S+)$/m.exec(manifest)![1]!;
  const records = get('records')
    .toString('latin1')
    .split('\n')
    .slice(0, -1)
    .map((l) => Buffer.from(l, 'latin1'));
  const checkpoints = entries
    .filter((e) => e.name.startsWith('checkpoints/'))
    .map((e) => ({ size: Number(e.name.split('/')[1]), text: e.data.toString('utf8') }));
  return { origin, records, checkpoints };
}

/** Replace one tar entry's bytes, keeping the (now stale) MANIFEST. */
export function replaceEntry(bundle: Buffer, name: string, data: Buffer): Buffer {
  const entries = readTar(bundle);
  if (typeof entries === 'string') throw new Error(entries);
  return writeTar(entries.map((e) => (e.name === name ? { name, data } : e)));
}

/** The private keys present in a file key store (what an insider holding the current key has). */
export function privateKeys(h: TestHome): KeyObject[] {
  const dir = join(h.home, 'keys');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.key'))
    .map((f) =>
      createPrivateKey({
        key: Buffer.from(readFileSync(join(dir, f), 'utf8').trim(), 'base64'),
        format: 'der',
        type: 'pkcs8',
      }),
    );
}

export interface Rec {
  type: RecordType;
  ts: string;
  payload: unknown;
}

export function decode(records: Buffer[]): Rec[] {
  return records.map((b) => JSON.parse(b.toString('utf8')) as Rec);
}

/** Renumber and re-chain records (what someone without the key can do). */
export function rechain(recs: Rec[]): Buffer[] {
  let prev = '';
  return recs.map((r, i) => {
    const b = recordBytes(i + 1, r.ts, r.type, prev, canonicalize(r.payload));
    prev = leafHash(b).toString('hex');
    return b;
  });
}

/** Sign checkpoints at the given sizes over `records` (what a key holder can do). */
export function forgeCheckpoints(
  records: Buffer[],
  origin: string,
  sizes: number[],
  signerFor: (size: number) => { key: KeyObject; vk: Pick<VerifierKey, 'name' | 'keyId'> },
): { size: number; text: string }[] {
  const tree = new Frontier();
  const out: { size: number; text: string }[] = [];
  records.forEach((r, i) => {
    tree.append(leafHash(r));
    if (sizes.includes(i + 1)) {
      const s = signerFor(i + 1);
      out.push({ size: i + 1, text: signCheckpoint({ origin, size: i + 1, root: tree.root() }, s.key, s.vk) });
    }
  });
  return out;
}

export function rebuild(parts: BundleParts): Buffer {
  return buildBundle(parts);
}

export function dbSnapshot(h: TestHome) {
  const db = openReadOnly(h.dbPath);
  try {
    return readSnapshot(db);
  } finally {
    db.close();
  }
}

/**
 * A small real ledger with one key rotation: records 1 ledger_open, 2-4 request, 5 key_rotation
 * (hand-over checkpoint at 5, genesis key), 6 approval, 7 exec_end; exported as a bundle.
 */
export async function tamperFixture() {
  const h = makeHome();
  const l = await open(h);
  for (let i = 0; i < 3; i++) await l.append('request', { requestId: `r${i}`, argv: ['rm', '-rf', `/tmp/x${i}`] });
  await l.rotate();
  await l.append('approval', { requestId: 'r1', approver: 'alice', channel: 'tui', reason: 'ok' });
  await l.append('exec_end', { requestId: 'r1', exit_code: 0, signal: null, duration_ms: 12 });
  const genesis = vk(l.publicKey().genesis);
  const currentVk = vk(l.publicKey().current);
  await l.close();
  const { bundle, parts } = await exportParts(h);
  const currentKey = privateKeys(h)[0]!; // only the current epoch's key is left on disk
  return { h, genesis, bundle, parts, currentKey, currentVk };
}
