/** `guard revoke ID`: end a pending request or an approved grant at once (a human, not an agent). */
import { refuseUnderAgent } from '../../approval/agent-env.js';
import { connectDaemon } from '../../daemon/connect.js';
import { writeLine, type Io } from '../io.js';
import { callDaemon, checkRequestId } from './decide-common.js';
import type { RevokeOptions } from '../specs/decide.js';

export async function revokeCommand(io: Io, id: string, opts: RevokeOptions): Promise<number> {
  refuseUnderAgent(io.env, 'revoke a request', 'a human revokes requests and grants; the agent waits or gives up');
  checkRequestId(id);
  const reason = typeof opts.reason === 'string' ? opts.reason : undefined;
  const client = await connectDaemon(io.env);
  await callDaemon(client, { type: 'revoke', requestId: id, reason });
  writeLine(io.stderr, `guard: request ${id} revoked; it will not run`);
  return 0;
}
