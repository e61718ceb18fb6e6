import { existsSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import { VERSION } from '../../version.js';
import { openLedger } from '../../ledger/index.js';
import { writeLine, type Io } from '../io.js';
import { ledgerPath } from './ledger-common.js';
import type { LedgerRotateOptions } from '../specs/ledger.js';

export async function ledgerRotate(io: Io, opts: LedgerRotateOptions): Promise<number> {
  const path = ledgerPath(io, opts);
  if (!existsSync(path)) {
    throw new UsageError(`no ledger at ${path}: nothing to rotate`, {
      hint: 'the daemon creates the ledger on first use',
    });
  }
  const ledger = await openLedger({
    path,
    env: io.env,
    guardVersion: VERSION,
    warn: (m) => writeLine(io.stderr, `guard: ${m}`),
  });
  try {
    const before = ledger.publicKey().current;
    await ledger.rotate();
    const after = ledger.publicKey();
    if (opts.json === true)
      writeLine(io.stdout, JSON.stringify({ previous: before, current: after.current, genesis: after.genesis }));
    else {
      writeLine(io.stdout, `rotated: new signing key ${after.current}`);
      writeLine(io.stdout, 'the previous private key was deleted; verifiers keep using the pinned genesis key');
    }
  } finally {
    await ledger.close();
  }
  return 0;
}
