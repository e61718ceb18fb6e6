/**
 * Enrollment through the daemon (decision 0425). The client creates the key and, for every
 * approver after the first, the endorsement; the daemon decides who may register it: only its own
 * uid or root (the kernel-verified peer). Every enrollment is an `approver_enrolled` record and
 * every refusal an `approver_enroll_refused` record, so an agent user's attempt leaves a trace.
 */
import { publicKeyFingerprint } from '../../approval/encoding.js';
import { registerApprover, removeApproverRecord } from '../../approval/registry.js';
import type { ApproverRecord } from '../../approval/types.js';
import { guardPaths } from '../../config/paths.js';
import { UsageError } from '../../errors.js';
import type { JsonValue } from '../../ledger/types.js';
import type { DaemonContext } from '../context.js';
import type { ClientMessage } from '../messages.js';
import { peerRecord, scopeOf } from '../scope.js';
import { ReplyError, type Conn } from '../server.js';

type EnrollMessage = Extract<ClientMessage, { type: 'enroll' }>;

/** What the ledger keeps of a candidate: identities and the key's fingerprint, never the key file. */
function who(msg: EnrollMessage, conn: Conn): Record<string, JsonValue> {
  const c = msg.candidate;
  return JSON.parse(
    JSON.stringify({
      name: c.name,
      groups: c.groups,
      key: publicKeyFingerprint(c.publicKey),
      osUser: c.osUser,
      slackUserId: c.slackUserId,
      email: c.email,
      idpSubject: c.idp?.subject,
      endorsedBy: msg.endorsement?.endorser,
      ...peerRecord(conn),
    }),
  ) as Record<string, JsonValue>;
}

async function refuse(ctx: DaemonContext, msg: EnrollMessage, conn: Conn, reason: string, hint?: string) {
  await ctx.ledger.append('approver_enroll_refused', { ...who(msg, conn), reason });
  ctx.log.warn(`enrollment of approver ${JSON.stringify(msg.candidate.name)} refused: ${reason}`);
  throw new ReplyError('refused', `enrollment refused: ${reason}`, hint);
}

export async function handleEnroll(ctx: DaemonContext, conn: Conn, msg: EnrollMessage): Promise<void> {
  const scope = scopeOf(ctx, conn);
  if (scope.kind !== 'owner') {
    await refuse(
      ctx,
      msg,
      conn,
      `user ${scope.user} (uid ${scope.uid}) may not enroll approvers; only the daemon's user or root may`,
      'an administrator enrolls approvers (e.g. `sudo guard approver enroll ...` with GUARD_SOCKET set)',
    );
    return;
  }
  // an IdP-bound candidate is checked here, not taken on the client's word (loaded only when used)
  const idpRefusal =
    msg.candidate.idp === undefined
      ? undefined
      : await (await import('../../identity/candidate.js')).idpCandidateRefusal(ctx.env, msg.candidate, ctx.now());
  if (idpRefusal !== undefined) {
    await refuse(ctx, msg, conn, idpRefusal);
    return;
  }
  const dir = guardPaths(ctx.env).approversDir;
  let rec: ApproverRecord;
  try {
    rec = registerApprover(dir, msg.candidate, msg.endorsement, ctx.now());
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    await refuse(ctx, msg, conn, err.message, err.hint);
    return;
  }
  try {
    await ctx.ledger.append('approver_enrolled', { ...who(msg, conn), enrolledAt: rec.enrolledAt });
  } catch (err) {
    // an enrollment the ledger does not show must not stand
    removeApproverRecord(dir, rec.name);
    throw err;
  }
  ctx.log.info(
    `enrolled approver ${JSON.stringify(rec.name)}${rec.endorsedBy ? ` endorsed by ${rec.endorsedBy}` : ''}`,
  );
  conn.result(msg.id, rec);
}
