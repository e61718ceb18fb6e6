import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guardPaths } from '../../src/config/paths.js';
import { openReadOnly } from '../../src/ledger/db.js';
import { openLedger, verifyLedger, type Ledger } from '../../src/ledger/index.js';
import { readSnapshot } from '../../src/ledger/snapshot.js';
import { parseVkey, type VerifierKey } from '../../src/ledger/note.js';

export interface TestHome {
  home: string;
  env: NodeJS.ProcessEnv;
  dbPath: string;
  cleanup(): void;
}

/** A fresh GUARD_HOME with the file key store (the keychain test opts in separately). */
export function makeHome(): TestHome {
  const home = mkdtempSync(join(tmpdir(), 'guard-ledger-'));
  const env: NodeJS.ProcessEnv = { ...process.env, GUARD_HOME: home, GUARD_KEYSTORE: 'file' };
  return { home, env, dbPath: guardPaths(env).ledgerDb, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

export function open(h: TestHome, extra: Partial<Parameters<typeof openLedger>[0]> = {}): Promise<Ledger> {
  return openLedger({ path: h.dbPath, env: h.env, guardVersion: '0.0.0-test', warn: () => undefined, ...extra });
}

export function vk(text: string): VerifierKey {
  const k = parseVkey(text);
  if (typeof k === 'string') throw new Error(k);
  return k;
}

/** A small ledger with a few record types. */
export async function smallLedger(h: TestHome, count = 5): Promise<Ledger> {
  const l = await open(h);
  for (let i = 0; i < count; i++) {
    await l.append('request', { requestId: `r${i}`, argv: ['echo', String(i)], cwd: '/tmp' });
  }
  return l;
}

/** Verify the ledger database as stored, trusting `genesis`. */
export function verifyDb(h: TestHome, genesis: string) {
  const db = openReadOnly(h.dbPath);
  try {
    const s = readSnapshot(db);
    return verifyLedger({ records: s.records, checkpoints: s.checkpoints, trusted: vk(genesis) });
  } finally {
    db.close();
  }
}
