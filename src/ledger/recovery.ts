/**
 * After an unclean shutdown: a `recovery` record for every request that has an `exec_start` but
 * neither an `exec_end` nor an earlier `recovery` (the command's outcome is unknown).
 */
import type { Db } from './db.js';
import type { LedgerWriter } from './types.js';

export async function recoverUnfinished(writer: LedgerWriter, db: Db): Promise<void> {
  const ids = db
    .prepare(
      `SELECT DISTINCT request_id FROM records WHERE type = 'exec_start' AND request_id IS NOT NULL
       EXCEPT SELECT request_id FROM records WHERE type IN ('exec_end', 'recovery') AND request_id IS NOT NULL`,
    )
    .pluck()
    .all() as string[];
  if (ids.length === 0) return;
  await writer.appendMany(
    ids.map((requestId) => ({
      type: 'recovery' as const,
      payload: { requestId, reason: 'unclean shutdown: exec_start without exec_end; the outcome is unknown' },
    })),
  );
}
