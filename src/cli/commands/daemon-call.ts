/**
 * Calling the daemon from a command: its refusals become guard's exit codes. Loads no schema
 * library: src/cli/commands/decide-common.ts checks answers with their zod schemas, `guard
 * requests` and `guard show` first with a shape (src/daemon/reply-shapes.ts, decision 0033).
 */
import { DeniedError, FailClosedError, UsageError } from '../../errors.js';
import {
  DaemonConnectionError,
  DaemonProtocolError,
  DaemonReplyError,
  type DaemonClient,
} from '../../daemon/client.js';
import type { ClientBody, ReplyOf } from '../../daemon/messages.js';
import { REQUEST_ID_PATTERN } from '../../daemon/ids.js';
import { fits, type Shape } from '../../daemon/reply-shapes.js';

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

/** One call, its result checked by `parse`; the connection stays open unless `close` is true. */
export async function callChecked<B extends ClientBody, R>(
  client: DaemonClient,
  body: B,
  parse: (data: unknown) => R,
  close = true,
): Promise<R> {
  try {
    return await client.call(body, parse);
  } catch (err) {
    throw mapDaemonError(err);
  } finally {
    if (close) client.close();
  }
}

/**
 * One call whose answer is checked against `shape` first and, when it does not fit, against its zod
 * schema (loaded only then), which refuses it as every command does or accepts it.
 */
export async function callShaped<B extends ClientBody>(
  client: DaemonClient,
  body: B,
  shape: Shape,
  close = true,
): Promise<ReplyOf<B['type']>> {
  try {
    const data = await client.call(body, (d) => d);
    if (fits(shape, data)) return data as ReplyOf<B['type']>;
    const { parseReply } = await import('../../daemon/replies.js');
    return parseReply<B['type']>(body.type, data);
  } catch (err) {
    throw mapDaemonError(err);
  } finally {
    if (close) client.close();
  }
}
