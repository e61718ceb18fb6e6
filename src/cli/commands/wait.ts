/**
 * `guard wait ID`: wait for a --no-wait request. Exit 0 when approved (re-run the same command
 * to use the grant), 76 when denied, expired, revoked or cancelled, 75 when --timeout passes first.
 */
import { DaemonReplyError } from '../../daemon/client.js';
import { connectDaemon } from '../../daemon/connect.js';
import type { DaemonMessage, ReplyOf, WaitEvent } from '../../daemon/messages.js';
import { parseReply, parseWaitEvent } from '../../daemon/replies.js';
import { parseDuration } from '../../daemon/duration.js';
import { NotApprovedError, PendingError } from '../../errors.js';
import { writeLine, type Io } from '../io.js';
import { visibleText } from '../../util/visible.js';
import { checkRequestId, mapDaemonError } from './decide-common.js';
import type { WaitOptions } from '../specs/decide.js';

export async function waitCommand(io: Io, id: string, opts: WaitOptions): Promise<number> {
  checkRequestId(id);
  const timeoutSeconds = typeof opts.timeout === 'string' ? parseDuration(opts.timeout) : undefined;
  const client = await connectDaemon(io.env);
  let asked: string | undefined;
  let attached = false;
  let escalated = false;
  const result = await new Promise<ReplyOf<'wait'>>((resolve, reject) => {
    client.onClose((err) => reject(mapDaemonError(err)));
    client.send({ type: 'wait', requestId: id, timeoutSeconds }, (m: DaemonMessage) => {
      if (m.type === 'error') return reject(mapDaemonError(new DaemonReplyError(m.code, m.message, m.hint)));
      let e: WaitEvent;
      try {
        if (m.type === 'result') return resolve(parseReply('wait', m.data));
        e = parseWaitEvent(m.data);
      } catch (err) {
        return reject(mapDaemonError(err));
      }
      if (!attached) {
        // the daemon's first event says the wait is registered: from now on no decision is missed
        attached = true;
        writeLine(io.stderr, `guard: waiting for a decision on request ${id}`);
      }
      if (
        e.event === 'update' &&
        e.view.question !== undefined &&
        e.view.state === 'needs_info' &&
        e.view.question !== asked
      ) {
        asked = e.view.question;
        writeLine(
          io.stderr,
          `guard: an approver asks: ${visibleText(asked)}\nguard: answer with \`guard reply ${id} --message "..."\``,
        );
      }
      if (e.event === 'update' && e.view.escalatedTo !== undefined && !escalated) {
        escalated = true;
        writeLine(
          io.stderr,
          `guard: nobody decided in time: ${id} escalated to ${visibleText(e.view.escalatedTo)}; still waiting`,
        );
      }
    });
  }).finally(() => client.close());
  if (opts.json === true) writeLine(io.stdout, JSON.stringify({ requestId: id, ...result }));
  if (result.state === 'approved') {
    writeLine(
      io.stderr,
      `guard: request ${id} is approved; re-run exactly the same command to use it${result.grant ? ` (${result.grant.usesLeft} use(s) until ${result.grant.expiresAt})` : ''}`,
    );
    return 0;
  }
  if (result.state === 'timeout')
    throw new PendingError(`request ${id} is still waiting: ${result.reason}`, {
      hint: `run \`guard wait ${id}\` again`,
    });
  throw new NotApprovedError(
    `request ${id} was ${result.state === 'used' ? 'approved, but its grant is used up or expired' : `${result.state}: ${result.reason}`}`,
  );
}
