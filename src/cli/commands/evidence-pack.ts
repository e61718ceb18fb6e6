import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import { buildPack } from '../../evidence/pack.js';
import { TrustAnchorError } from '../../ledger/errors.js';
import type { VerifierKey } from '../../ledger/note.js';
import { parsePubkeyFile } from '../../ledger/pubkey.js';
import { VERSION } from '../../version.js';
import { writeLine, type Io } from '../io.js';
import { parseCount } from './ledger-common.js';
import type { EvidencePackOptions } from '../specs/evidence.js';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

/** `FROM..TO`: whole days (TO included) or ISO times (TO excluded); returned as ISO bounds, TO exclusive. */
export function parsePeriod(text: string): { from: string; to: string } {
  const parts = text.split('..');
  const m = parts.length === 2 ? ['', parts[0]!, parts[1]!] : null;
  const bound = (s: string, end: boolean): string | undefined => {
    if (DAY.test(s)) {
      const t = Date.parse(`${s}T00:00:00.000Z`);
      if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== s) return undefined;
      return new Date(t + (end ? 86_400_000 : 0)).toISOString();
    }
    if (ISO.test(s) && !Number.isNaN(Date.parse(s))) return new Date(Date.parse(s)).toISOString();
    return undefined;
  };
  const from = m === null ? undefined : bound(m[1]!, false);
  const to = m === null ? undefined : bound(m[2]!, true);
  if (from === undefined || to === undefined || from >= to)
    throw new UsageError(`--period ${JSON.stringify(text)} is not FROM..TO with FROM before TO`, {
      hint: 'e.g. --period 2026-01-01..2026-03-31 (days included) or 2026-01-01T00:00:00Z..2026-04-01T00:00:00Z',
    });
  return { from, to };
}

function loadKeys(files: unknown): VerifierKey[] {
  const list = Array.isArray(files) ? (files as string[]) : [];
  if (list.length === 0)
    throw new TrustAnchorError('--pubkey FILE is required: the pinned genesis key of each ledger', {
      hint: 'use the files written by `guard ledger pubkey --out` on each host',
    });
  return list.map((f) => {
    let text: string;
    try {
      text = readFileSync(f, 'latin1');
    } catch (err) {
      throw new TrustAnchorError(`cannot read the public key file ${f}: ${(err as Error).message}`);
    }
    const key = parsePubkeyFile(text);
    if (typeof key === 'string') throw new TrustAnchorError(`${f}: ${key}`);
    return key;
  });
}

export async function evidencePack(io: Io, bundles: string[], opts: EvidencePackOptions): Promise<number> {
  const { from, to } = parsePeriod(String(opts.period));
  const out = String(opts.out);
  if (existsSync(out)) throw new UsageError(`${out} already exists`, { hint: 'name a new directory for the pack' });
  const keys = loadKeys(opts.pubkey);
  const sample = parseCount('--sample', opts.sample) ?? 25;
  const seed = typeof opts.seed === 'string' ? opts.seed : '';
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  let result;
  try {
    result = await buildPack({ bundles, keys, from, to, sample, seed, out: tmp, guardVersion: VERSION });
    renameSync(tmp, out);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  const summary = {
    out,
    from,
    to,
    ...result,
    rejected: result.rejected.map((b) => ({ file: b.file, origin: b.origin, error: b.error })),
  };
  if (opts.json === true) writeLine(io.stdout, JSON.stringify(summary));
  else {
    writeLine(
      io.stdout,
      `evidence pack written to ${out}: ${result.population} held or denied command(s) from ${result.records} verified record(s), ${result.sampled} sampled, ${result.exceptions} exception(s)`,
    );
    for (const b of result.rejected) writeLine(io.stderr, `rejected: ${b.file || b.origin}: ${b.error ?? ''}`);
  }
  return result.rejected.length > 0 ? 1 : 0;
}
