import { guardPaths } from '../../config/paths.js';
import { UsageError } from '../../errors.js';
import type { Io } from '../io.js';

export { openForReading } from '../../ledger/local.js';

export function ledgerPath(io: Io, opts: { db?: string | undefined }): string {
  return typeof opts.db === 'string' ? opts.db : guardPaths(io.env).ledgerDb;
}

export function parseCount(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]{0,15})$/.test(value))
    throw new UsageError(`${name} takes a whole number, not ${JSON.stringify(value)}`);
  return Number(value);
}
