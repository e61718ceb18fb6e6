/** `guard reply ID --message TEXT`: the requester answers an approver's question. */
import { connectDaemon } from '../../daemon/connect.js';
import { UsageError } from '../../errors.js';
import { writeLine, type Io } from '../io.js';
import { callDaemon, checkRequestId } from './decide-common.js';
import type { ReplyOptions } from '../specs/decide.js';

export async function replyCommand(io: Io, id: string, opts: ReplyOptions): Promise<number> {
  checkRequestId(id);
  const message = opts.message;
  if (typeof message !== 'string' || message.trim() === '') throw new UsageError('guard reply needs --message TEXT');
  const client = await connectDaemon(io.env);
  const res = await callDaemon(client, { type: 'reply', requestId: id, message });
  writeLine(io.stderr, `guard: answer sent; request ${id} is ${res.state}`);
  return 0;
}
