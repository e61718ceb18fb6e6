/** Shared by the request commands: call the daemon and turn its refusals into guard's exit codes. */
import type { DaemonClient } from '../../daemon/client.js';
import type { ClientBody, ReplyOf } from '../../daemon/messages.js';
import { parseReply } from '../../daemon/replies.js';
import { callChecked } from './daemon-call.js';

export { checkRequestId, mapDaemonError } from './daemon-call.js';

/** One call, its result checked against its schema; the connection stays open unless `close` is true. */
export function callDaemon<B extends ClientBody>(
  client: DaemonClient,
  body: B,
  close = true,
): Promise<ReplyOf<B['type']>> {
  return callChecked(client, body, (data) => parseReply<B['type']>(body.type, data), close);
}
