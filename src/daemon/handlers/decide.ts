/**
 * Human decisions. Local ones arrive signed with an approver key (checked against the enrolled
 * public key); remote ones arrive from a channel with the identity it verified. Every refusal is
 * recorded as `approval_refused`: an attempt to approve without the approver's secret leaves a trace.
 */
import { checkDecision } from '../../approval/decision.js';
import { eligibility } from '../../approval/quorum.js';
import type { ApproverRecord, SignedDecision, Vote } from '../../approval/types.js';
import type { ChannelDecision } from '../../channels/types.js';
import type { JsonValue } from '../../ledger/types.js';
import { redactText } from '../../redact/index.js';
import type { DaemonContext } from '../context.js';
import type { StoredRequest } from '../record.js';
import { peerRecord, scopeOf, visibleRequest } from '../scope.js';
import { ReplyError, type Conn } from '../server.js';

async function refuse(ctx: DaemonContext, payload: Record<string, JsonValue>): Promise<void> {
  await ctx.ledger.append('approval_refused', payload);
  ctx.log.warn(
    `approval refused: request ${JSON.stringify(payload['requestId'])} approver ${JSON.stringify(payload['approver'])}: ${JSON.stringify(payload['reason'])}`,
  );
}

const text = (s: string | undefined): string | undefined => (s === undefined ? undefined : redactText(s).value);

function approvalPayload(r: StoredRequest, vote: Vote, extra: Record<string, JsonValue>): JsonValue {
  return JSON.parse(
    JSON.stringify({
      requestId: r.id,
      approver: vote.approver,
      action: vote.action,
      channel: vote.channel,
      at: vote.at,
      fingerprint: r.fingerprint,
      reason: vote.reason,
      question: vote.question,
      ...extra,
    }),
  ) as JsonValue;
}

/** Settings/four-eyes checks that apply to approvals (a deny or a question is always allowed). */
function ineligible(r: StoredRequest, approver: ApproverRecord, action: string): string | undefined {
  if (action !== 'approve') return undefined;
  const e = eligibility(approver, r.settings, r.requester);
  return e.ok ? undefined : e.reason;
}

export async function handleDecide(
  ctx: DaemonContext,
  conn: Conn,
  msg: { id: number; signed: SignedDecision; via?: 'cli' | 'tui' | undefined },
): Promise<void> {
  const s = msg.signed;
  const channel = msg.via ?? 'cli';
  const base = {
    requestId: s.requestId,
    approver: s.approver,
    action: s.action,
    channel,
    signature: s.signature,
    fingerprint: s.fingerprint,
  };
  const r = ctx.store.get(s.requestId);
  if (r === undefined) {
    await refuse(ctx, { ...base, code: 'not-found', reason: `no request ${s.requestId}` });
    throw new ReplyError('not_found', `no request ${s.requestId}`);
  }
  const check = checkDecision({
    signed: s,
    request: { id: r.id, fingerprint: r.fingerprint, createdAt: r.createdAt, state: r.state },
    approvers: ctx.approvers(),
    now: ctx.now(),
  });
  if (!check.ok) {
    await refuse(ctx, { ...base, code: check.code, reason: check.reason });
    throw new ReplyError('refused', check.reason);
  }
  if (r.votes.some((v) => v.signature === s.signature)) {
    await refuse(ctx, { ...base, code: 'replayed', reason: 'this signed decision was already counted' });
    throw new ReplyError('refused', 'this signed decision was already counted (replay)');
  }
  const why = ineligible(r, check.approver, s.action);
  if (why !== undefined) {
    await refuse(ctx, { ...base, code: 'ineligible', reason: why });
    throw new ReplyError('refused', why);
  }
  const vote: Vote = {
    approver: s.approver,
    action: s.action,
    channel,
    at: s.at,
    reason: text(s.reason),
    question: text(s.question),
    signature: s.signature,
  };
  const record = {
    type: 'approval' as const,
    payload: approvalPayload(r, vote, { signature: s.signature, key: check.approver.fingerprint }),
  };
  const next = await ctx.machine.vote(r.id, vote, record);
  conn.result(msg.id, { state: next.state, view: next.view });
}

/** ChannelHost.decide: map the verified identity to an enrolled approver, then vote. */
export async function channelDecide(ctx: DaemonContext, d: ChannelDecision): Promise<string | null> {
  const id = d.identity.id.toLowerCase();
  const approvers = ctx.approvers();
  const byIdentity = approvers.find((a) => a.slackUserId?.toLowerCase() === id || a.email?.toLowerCase() === id);
  const byName =
    byIdentity === undefined
      ? approvers.find((a) => a.name.toLowerCase() === id && d.identity.channel !== 'slack')
      : undefined;
  const approver = byIdentity ?? byName;
  const base = {
    requestId: d.requestId,
    approver: approver?.name ?? null,
    action: d.action,
    channel: d.identity.channel,
    identity: d.identity.id,
    verifiedBy: d.identity.verifiedBy ?? null,
  };
  const refuseWith = async (code: string, reason: string): Promise<string> => {
    await refuse(ctx, { ...base, code, reason });
    return reason;
  };
  if (approver === undefined)
    return refuseWith('unknown-approver', `${d.identity.display ?? d.identity.id} is not an enrolled approver`);
  const r = ctx.store.get(d.requestId);
  if (r === undefined) return refuseWith('not-found', `no request ${d.requestId}`);
  if (r.state !== 'pending' && r.state !== 'needs_info')
    return refuseWith('not-pending', `request ${r.id} is ${r.state}`);
  const why = ineligible(r, approver, d.action);
  if (why !== undefined) return refuseWith('ineligible', why);
  const vote: Vote = {
    approver: approver.name,
    action: d.action,
    channel: d.identity.channel,
    at: ctx.now().toISOString(),
    reason: text(d.reason),
    question: text(d.question),
    identity: byIdentity === undefined ? undefined : d.identity.id,
  };
  try {
    await ctx.machine.vote(r.id, vote, {
      type: 'approval',
      payload: approvalPayload(r, vote, { identity: d.identity.id, verifiedBy: d.identity.verifiedBy ?? null }),
    });
  } catch (err) {
    if (err instanceof ReplyError) return refuseWith(err.code, err.message);
    throw err;
  }
  return null;
}

export async function handleReportRefusal(
  ctx: DaemonContext,
  conn: Conn,
  msg: { id: number; requestId: string; approver: string; reason: string },
): Promise<void> {
  // only an approver's (or the owner's) account reports its own failed attempts
  if (scopeOf(ctx, conn).kind === 'agent')
    throw new ReplyError('refused', 'only an approver account may report a refused approval');
  await refuse(ctx, {
    requestId: msg.requestId,
    approver: msg.approver,
    channel: 'cli',
    code: 'client-reported',
    reason: msg.reason,
    ...peerRecord(conn),
  });
  conn.result(msg.id, { recorded: true });
}

export async function handleReply(
  ctx: DaemonContext,
  conn: Conn,
  msg: { id: number; requestId: string; message: string },
): Promise<void> {
  visibleRequest(ctx, conn, msg.requestId);
  const next = await ctx.machine.reply(msg.requestId, redactText(msg.message).value, 'requester');
  conn.result(msg.id, { state: next.state, view: next.view });
}

export async function handleRevoke(
  ctx: DaemonContext,
  conn: Conn,
  msg: { id: number; requestId: string; reason?: string | undefined },
): Promise<void> {
  visibleRequest(ctx, conn, msg.requestId);
  const next = await ctx.machine.revoke(msg.requestId, 'local user', text(msg.reason));
  conn.result(msg.id, { state: next.state, view: next.view });
}
