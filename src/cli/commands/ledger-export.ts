import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../../errors.js';
import { exportLedger } from '../../ledger/export.js';
import { syncDir } from '../../keys/file.js';
import { writeLine, type Io } from '../io.js';
import { ledgerPath, openForReading } from './ledger-common.js';
import type { LedgerExportOptions } from '../specs/ledger.js';

/** Write the bundle atomically: a torn export never appears under the final name. */
export function writeFileAtomic(path: string, data: Buffer): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to remove
    }
    throw err;
  }
  syncDir(dirname(path));
}

export function ledgerExport(io: Io, opts: LedgerExportOptions): Promise<number> {
  const out = opts.out;
  let since: Buffer | undefined;
  if (typeof opts.sinceCheckpoint === 'string') {
    try {
      since = readFileSync(opts.sinceCheckpoint);
    } catch (err) {
      throw new UsageError(`cannot read --since-checkpoint ${opts.sinceCheckpoint}: ${(err as Error).message}`);
    }
  }
  const db = openForReading(ledgerPath(io, opts));
  let result;
  try {
    result = exportLedger(db, since);
  } finally {
    db.close();
  }
  writeFileAtomic(out, result.bundle);
  if (opts.json === true) {
    writeLine(
      io.stdout,
      JSON.stringify({
        file: out,
        origin: result.origin,
        size: result.size,
        previousSize: result.previousSize ?? null,
        checkpoint: result.checkpoint,
      }),
    );
  } else {
    const prev = result.previousSize === undefined ? '' : `, with a consistency proof from size ${result.previousSize}`;
    writeLine(io.stdout, `wrote ${out}: ${result.size} records of ${result.origin}${prev}`);
    writeLine(io.stdout, `verify with: guard ledger verify ${out} --pubkey PINNED-KEY-FILE --state STATE-FILE`);
  }
  return Promise.resolve(0);
}
