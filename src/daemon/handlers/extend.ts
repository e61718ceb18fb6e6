/**
 * `grant_extend`: an approver's signed extension of an approved grant (decision 1087). Anyone local
 * may send one; only a valid signature of an eligible approver counts, and every refusal is recorded
 * as `approval_refused` (action `extend`), as for decisions.
 */
import type { JsonValue } from '../../ledger/types.js';
import { isRefusal } from '../../request/refusal.js';
import type { DaemonContext } from '../context.js';
import { replyErrorOf } from '../machine.js';
import { peerRecord } from '../scope.js';
import { ReplyError, type Conn } from '../server.js';

const field = (o: Record<string, unknown>, k: string): string => (typeof o[k] === 'string' ? o[k] : '');

export async function handleGrantExtend(
  ctx: DaemonContext,
  conn: Conn,
  msg: { id: number; signed: Record<string, unknown> },
): Promise<void> {
  const requestId = field(msg.signed, 'requestId');
  if (!/^rq-[0-9a-f]{12}$/.test(requestId)) throw new ReplyError('bad_request', 'signed.requestId is not a request id');
  const out = await ctx.machine.extend(requestId, msg.signed);
  if (isRefusal(out)) {
    const payload: Record<string, JsonValue> = {
      requestId,
      approver: field(msg.signed, 'approver').slice(0, 64),
      action: 'extend',
      channel: 'cli',
      code: out.refused,
      reason: out.reason,
      ...peerRecord(conn),
    };
    await ctx.ledger.append('approval_refused', payload);
    ctx.log.warn(`grant extension refused: ${requestId}: ${out.reason}`);
    throw replyErrorOf(out, requestId);
  }
  const g = out.grant!;
  conn.result(msg.id, {
    state: out.state,
    view: out.view,
    grant: { usesLeft: g.usesLeft, expiresAt: g.expiresAt, revoked: g.revoked },
  });
}
