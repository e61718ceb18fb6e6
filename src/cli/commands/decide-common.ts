/** Shared by the request commands: call the daemon and turn its refusals into guard's exit codes. */
import { DeniedError, FailClosedError, UsageError } from '../../errors.js';
import {
  DaemonConnectionError,
  DaemonProtocolError,
  DaemonReplyError,
  type DaemonClient,
} from '../../daemon/client.js';
import type { ClientBody, ReplyOf } from '../../daemon/messages.js';
import { ask } from '../../daemon/replies.js';
import { REQUEST_ID_PATTERN } from '../../daemon/ids.js';

export function checkRequestId(id: string): void {
  if (!REQUEST_ID_PATTERN.test(id))
    throw new UsageError(`"${id}" is not a request id (rq- followed by 12 hex digits)`, {
      hint: 'list them with `guard requests`',
    });
}

export function mapDaemonError(err: unknown): Error {
  if (err instanceof DaemonReplyError) {
    switch (err.code) {
      case 'refused':
        return new DeniedError(`refused: ${err.message}`, { hint: err.hint });
      case 'not_found':
      case 'conflict':
      case 'bad_request':
        return new UsageError(err.message, { hint: err.hint });
      default:
        return new FailClosedError(err.message, { hint: err.hint });
    }
  }
  if (err instanceof DaemonProtocolError)
    return new FailClosedError(err.message, {
      hint: 'this guard and the running daemon may be different versions: restart the daemon',
    });
  if (err instanceof DaemonConnectionError)
    return new FailClosedError(`lost the guard daemon: ${err.message}`, { hint: 'check `guard daemon status`' });
  return err instanceof Error ? err : new FailClosedError(String(err));
}

/** One call, its result checked against its schema; the connection stays open unless `close` is true. */
export async function callDaemon<B extends ClientBody>(
  client: DaemonClient,
  body: B,
  close = true,
): Promise<ReplyOf<B['type']>> {
  try {
    return await ask(client, body);
  } catch (err) {
    throw mapDaemonError(err);
  } finally {
    if (close) client.close();
  }
}
