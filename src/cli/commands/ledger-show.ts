import { writeFileSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import { genesisKeyOf } from '../../ledger/local.js';
import { formatPubkeyFile, genesisFingerprint } from '../../ledger/pubkey.js';
import { readRecords } from '../../ledger/read.js';
import { RECORD_TYPES } from '../../ledger/record.js';
import type { RecordType } from '../../ledger/types.js';
import { canonicalize } from '../../util/canonical.js';
import { visibleText } from '../../util/visible.js';
import { writeLine, type Io } from '../io.js';
import { ledgerPath, openForReading, parseCount } from './ledger-common.js';
import type { LedgerPubkeyOptions, LedgerShowOptions } from '../specs/ledger.js';

export function ledgerShow(io: Io, opts: LedgerShowOptions): Promise<number> {
  const type = opts.type;
  if (type !== undefined && (typeof type !== 'string' || !RECORD_TYPES.has(type))) {
    throw new UsageError(`unknown record type ${JSON.stringify(type)}`, {
      hint: `types: ${[...RECORD_TYPES].join(', ')}`,
    });
  }
  const sinceSeq = parseCount('--since', opts.since);
  const limit = parseCount('--limit', opts.limit);
  const db = openForReading(ledgerPath(io, opts));
  try {
    const records = readRecords(db, {
      ...(sinceSeq === undefined ? {} : { sinceSeq }),
      ...(limit === undefined ? {} : { limit }),
      ...(type === undefined ? {} : { type: type as RecordType }),
      ...(typeof opts.request === 'string' ? { requestId: opts.request } : {}),
    });
    for (const r of records) {
      if (opts.json === true) writeLine(io.stdout, canonicalize(r));
      else
        // the display form: invisible and reordering characters written out (--json keeps the exact record)
        writeLine(
          io.stdout,
          visibleText(`${String(r.seq).padStart(6)}  ${r.ts}  ${r.type.padEnd(16)} ${canonicalize(r.payload)}`),
        );
    }
    if (records.length === 0 && opts.json !== true) writeLine(io.stderr, 'guard: no matching records');
  } finally {
    db.close();
  }
  return Promise.resolve(0);
}

export function ledgerPubkey(io: Io, opts: LedgerPubkeyOptions): Promise<number> {
  const path = ledgerPath(io, opts);
  const genesis = genesisKeyOf(path);
  const fingerprint = genesisFingerprint(genesis);
  if (typeof opts.out === 'string') writeFileSync(opts.out, formatPubkeyFile(genesis), { mode: 0o644 });
  if (opts.json === true)
    writeLine(
      io.stdout,
      JSON.stringify({ key: genesis, fingerprint, ...(typeof opts.out === 'string' ? { file: opts.out } : {}) }),
    );
  else {
    writeLine(io.stdout, genesis);
    writeLine(io.stdout, `fingerprint ${fingerprint}`);
    if (typeof opts.out === 'string')
      writeLine(io.stderr, `guard: wrote ${opts.out}; give it to whoever verifies exports, out of band`);
  }
  return Promise.resolve(0);
}
