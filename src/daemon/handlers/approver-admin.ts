/**
 * Removing and changing approvers through the daemon (decision 0426). Like enrolment, only the
 * daemon's own uid or root may do it; each change is a ledger record written before it takes
 * effect is answered, and each refusal is a record too, so an agent user's attempt leaves a trace.
 */
import { publicKeyFingerprint } from '../../approval/encoding.js';
import { changeApprover, loadApproverRegistry, removeApprover, saveApprover } from '../../approval/registry.js';
import type { ApproverChange, ApproverFields, ApproverRecord } from '../../approval/types.js';
import { guardPaths } from '../../config/paths.js';
import { UsageError } from '../../errors.js';
import type { JsonValue } from '../../ledger/types.js';
import type { DaemonContext } from '../context.js';
import type { ClientMessage } from '../messages.js';
import { peerRecord, scopeOf } from '../scope.js';
import { ReplyError, type Conn } from '../server.js';

type RemoveMessage = Extract<ClientMessage, { type: 'approver_remove' }>;
type ChangeMessage = Extract<ClientMessage, { type: 'approver_change' }>;
type GetMessage = Extract<ClientMessage, { type: 'approver_get' }>;

/** Fields as the ledger keeps them: identities and a key fingerprint, never the key itself. */
function shown(f: ApproverFields): Record<string, JsonValue> {
  return JSON.parse(
    JSON.stringify({
      groups: f.groups,
      key: publicKeyFingerprint(f.publicKey),
      osUser: f.osUser,
      slackUserId: f.slackUserId,
      email: f.email,
    }),
  ) as Record<string, JsonValue>;
}

function changeDetail(c: ApproverChange): Record<string, JsonValue> {
  return { name: c.name, kind: c.kind, signer: c.signer, at: c.at, before: shown(c.before), after: shown(c.after) };
}

async function refuse(
  ctx: DaemonContext,
  conn: Conn,
  detail: Record<string, JsonValue>,
  reason: string,
): Promise<never> {
  await ctx.ledger.append('approver_change_refused', { ...detail, ...peerRecord(conn), reason });
  ctx.log.warn(`approver change refused: ${reason}`);
  throw new ReplyError('refused', `refused: ${reason}`);
}

/** Owner only; anyone else is refused and recorded. */
async function ownerOnly(ctx: DaemonContext, conn: Conn, detail: Record<string, JsonValue>): Promise<void> {
  const scope = scopeOf(ctx, conn);
  if (scope.kind !== 'owner')
    await refuse(
      ctx,
      conn,
      detail,
      `user ${scope.user} (uid ${scope.uid}) may not change approvers; only the daemon's user or root may`,
    );
}

/** Run a registry operation; its usage errors become recorded refusals. */
async function attempt(
  ctx: DaemonContext,
  conn: Conn,
  detail: Record<string, JsonValue>,
  op: () => ApproverRecord,
): Promise<ApproverRecord> {
  try {
    return op();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return refuse(ctx, conn, detail, err.message);
  }
}

export async function handleApproverRemove(ctx: DaemonContext, conn: Conn, msg: RemoveMessage): Promise<void> {
  const detail = { op: 'remove', name: msg.name };
  await ownerOnly(ctx, conn, detail);
  const dir = guardPaths(ctx.env).approversDir;
  const rec = await attempt(ctx, conn, detail, () => removeApprover(dir, msg.name, msg.reason, ctx.now()));
  const peer = peerRecord(conn);
  try {
    await ctx.ledger.append('approver_removed', {
      approver_id: rec.name,
      by: 'peer' in peer ? peer.peer.user : 'local',
      reason: msg.reason,
      key: rec.fingerprint,
      ...peer,
    });
  } catch (err) {
    // a removal the ledger does not show must not stand
    saveApprover(dir, { ...rec, removed: undefined });
    throw err;
  }
  ctx.log.info(`removed approver ${JSON.stringify(rec.name)}`);
  conn.result(msg.id, rec);
}

export async function handleApproverChange(ctx: DaemonContext, conn: Conn, msg: ChangeMessage): Promise<void> {
  const detail = changeDetail(msg.change);
  await ownerOnly(ctx, conn, detail);
  const dir = guardPaths(ctx.env).approversDir;
  const prior = loadApproverRegistry(dir).find((r) => r.name === msg.change.name);
  const rec = await attempt(ctx, conn, detail, () => changeApprover(dir, msg.change, ctx.now()));
  try {
    await ctx.ledger.append(msg.change.kind === 'rotate' ? 'approver_rotated' : 'approver_updated', {
      ...detail,
      ...peerRecord(conn),
    });
  } catch (err) {
    if (prior !== undefined) saveApprover(dir, prior);
    throw err;
  }
  ctx.log.info(
    `${msg.change.kind === 'rotate' ? 'rotated the key of' : 'updated'} approver ${JSON.stringify(rec.name)}`,
  );
  conn.result(msg.id, rec);
}

/** The record a change must start from; agents are not told who the approvers are. */
export function handleApproverGet(ctx: DaemonContext, conn: Conn, msg: GetMessage): void {
  if (scopeOf(ctx, conn).kind === 'agent')
    throw new ReplyError('refused', "only the daemon's user, root or an approver may read approver records");
  const rec = loadApproverRegistry(guardPaths(ctx.env).approversDir).find((r) => r.name === msg.name);
  if (rec === undefined) throw new ReplyError('not_found', `no approver named "${msg.name}" is enrolled`);
  conn.result(msg.id, rec);
}
