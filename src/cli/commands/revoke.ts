/** `guard revoke ID`: end a pending request or an approved grant at once (anyone local may). */
import { connectDaemon } from '../../daemon/connect.js';
import type { RequestView } from '../../channels/types.js';
import { writeLine, type Io } from '../io.js';
import { callDaemon, checkRequestId } from './decide-common.js';

export async function revokeCommand(io: Io, id: string, opts: Record<string, unknown>): Promise<number> {
  checkRequestId(id);
  const reason = typeof opts['reason'] === 'string' ? opts['reason'] : undefined;
  const client = await connectDaemon(io.env);
  await callDaemon<{ state: string; view: RequestView }>(client, { type: 'revoke', requestId: id, reason });
  writeLine(io.stderr, `guard: request ${id} revoked; it will not run`);
  return 0;
}
