/** Reading records back for `guard ledger show` and the TUI (no verification: see verify.ts). */
import type { Db } from './db.js';
import type { LedgerRecord, RecordType } from './types.js';

export interface ReadOptions {
  /** Only records with seq greater than this. */
  sinceSeq?: number;
  type?: RecordType;
  requestId?: string;
  limit?: number;
}

export function readRecords(db: Db, opts: ReadOptions = {}): LedgerRecord[] {
  const where = ['seq > @since'];
  if (opts.type !== undefined) where.push('type = @type');
  if (opts.requestId !== undefined) where.push('request_id = @requestId');
  const sql = `SELECT bytes FROM records WHERE ${where.join(' AND ')} ORDER BY seq${opts.limit === undefined ? '' : ' LIMIT @limit'}`;
  const params: Record<string, unknown> = { since: opts.sinceSeq ?? 0 };
  if (opts.type !== undefined) params['type'] = opts.type;
  if (opts.requestId !== undefined) params['requestId'] = opts.requestId;
  if (opts.limit !== undefined) params['limit'] = opts.limit;
  const rows = db.prepare(sql).pluck().all(params) as Buffer[];
  return rows.map((b) => JSON.parse(b.toString('utf8')) as LedgerRecord);
}
