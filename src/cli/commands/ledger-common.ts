import { existsSync } from 'node:fs';
import { guardPaths } from '../../config/paths.js';
import { UsageError } from '../../errors.js';
import { openReadOnly, type Db } from '../../ledger/db.js';
import type { Io } from '../io.js';

export function ledgerPath(io: Io, opts: Record<string, unknown>): string {
  return typeof opts['db'] === 'string' ? opts['db'] : guardPaths(io.env).ledgerDb;
}

/** Open the ledger read-only; a missing file is a usage error that says where guard looked. */
export function openForReading(path: string): Db {
  if (!existsSync(path)) {
    throw new UsageError(`no ledger at ${path}`, {
      hint: 'the daemon creates it on first use; pass --db PATH to read another one',
    });
  }
  return openReadOnly(path);
}

export function parseCount(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]{0,15})$/.test(value))
    throw new UsageError(`${name} takes a whole number, not ${JSON.stringify(value)}`);
  return Number(value);
}
