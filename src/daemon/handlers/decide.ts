/**
 * Human decisions. Local ones arrive signed with an approver key (checked against the enrolled
 * public key); remote ones arrive from a channel with the identity it verified. Every refusal is
 * recorded as `approval_refused`: an attempt to approve without the approver's secret leaves a trace.
 */
import type { SignedDecision } from '../../approval/types.js';
import type { StepUpProof } from '../../identity/step-up.js';
import type { ChannelDecision } from '../../channels/types.js';
import type { JsonValue } from '../../ledger/types.js';
import { redactText } from '../../redact/index.js';
import { isRefusal, Refused, type Refusal } from '../../request/refusal.js';
import { refusedBallotPayload, type Ballot } from '../../request/vote.js';
import type { StoredRequest } from '../../request/state.js';
import type { DaemonContext } from '../context.js';
import { replyErrorOf } from '../machine.js';
import { peerRecord, scopeOf, visibleRequest } from '../scope.js';
import { ReplyError, type Conn } from '../server.js';

async function refuse(ctx: DaemonContext, payload: Record<string, JsonValue>): Promise<void> {
  await ctx.ledger.append('approval_refused', payload);
  ctx.log.warn(
    `approval refused: request ${JSON.stringify(payload['requestId'])} approver ${JSON.stringify(payload['approver'])}: ${JSON.stringify(payload['reason'])}`,
  );
}

const text = (s: string | undefined): string | undefined => (s === undefined ? undefined : redactText(s).value);

/** Count a ballot; a refusal is recorded as `approval_refused` and returned. */
async function castBallot(ctx: DaemonContext, requestId: string, ballot: Ballot): Promise<StoredRequest | Refusal> {
  const out = await ctx.machine.vote(requestId, ballot);
  if (isRefusal(out)) {
    await refuse(ctx, refusedBallotPayload(ballot, out, ctx.approvers()));
  }
  return out;
}

export async function handleDecide(
  ctx: DaemonContext,
  conn: Conn,
  msg: {
    id: number;
    signed: SignedDecision;
    via?: 'cli' | 'tui' | undefined;
    stepUp?: { idToken: string; viewHash: string } | undefined;
  },
): Promise<void> {
  const extra = await stepUpExtra(ctx, msg);
  const out = await castBallot(ctx, msg.signed.requestId, {
    via: 'signed',
    signed: msg.signed,
    channel: msg.via ?? 'cli',
    extra,
  });
  if (isRefusal(out)) throw replyErrorOf(out, msg.signed.requestId);
  conn.result(msg.id, { state: out.state, view: out.view });
}

/**
 * A step-up rule (level 3): an approval must carry a fresh IdP login naming this request; refused
 * and recorded otherwise. Returns what the approval record keeps of it.
 */
async function stepUpExtra(
  ctx: DaemonContext,
  msg: { signed: SignedDecision; via?: 'cli' | 'tui' | 'hub' | undefined; stepUp?: StepUpProof | undefined },
): Promise<Record<string, JsonValue> | undefined> {
  const r = ctx.store.get(msg.signed.requestId);
  if (r?.settings.stepUp !== true || msg.signed.action !== 'approve') return undefined;
  const approver = ctx.approvers().find((a) => a.name === msg.signed.approver);
  const { checkStepUp } = await import('../../identity/step-up.js');
  const req = { id: r.id, fingerprint: r.fingerprint, createdAt: r.createdAt, groups: r.settings.groups };
  // the view hash is the daemon's own: the one the client names must be the request as it stands
  const { shownViewHash, VIEW_CHANGED } = await import('../shown-view.js');
  const shown = shownViewHash(r);
  const c =
    msg.stepUp !== undefined && msg.stepUp.viewHash !== shown
      ? VIEW_CHANGED
      : await checkStepUp(ctx.env, req, approver, msg.stepUp && { ...msg.stepUp, viewHash: shown }, ctx.now());
  if (c.ok) return { stepUp: c.record as unknown as JsonValue };
  const s = msg.signed;
  await refuse(ctx, {
    requestId: s.requestId,
    approver: s.approver,
    action: s.action,
    channel: msg.via ?? 'cli',
    signature: s.signature,
    fingerprint: s.fingerprint,
    code: c.code,
    reason: c.reason,
  });
  throw new ReplyError('refused', c.reason);
}

/**
 * ChannelHost.decideSigned: an approver-signed decision the hub relayed (`guard tui --hub`). The
 * same checks as a local `guard approve` (signature by the enrolled key, request, fingerprint,
 * quorum); a refusal is recorded and returned. A step-up rule needs a fresh IdP login the hub
 * path does not carry, so it is refused and recorded (decision 1049).
 */
export async function hubSignedDecide(ctx: DaemonContext, signed: SignedDecision): Promise<string | null> {
  try {
    const extra = await stepUpExtra(ctx, { signed, via: 'hub' });
    const out = await castBallot(ctx, signed.requestId, { via: 'signed', signed, channel: 'hub', extra });
    return isRefusal(out) ? out.reason : null;
  } catch (err) {
    if (err instanceof ReplyError) return err.message;
    throw err;
  }
}

/** ChannelHost.decide: the verified identity is mapped to an enrolled approver by the request core. */
export async function channelDecide(ctx: DaemonContext, d: ChannelDecision): Promise<string | null> {
  const { channelStepUp } = await import('../channel-step-up.js');
  const extra = await channelStepUp(ctx, d, refuse);
  if (typeof extra === 'string') return extra;
  const { channelSubjects } = await import('../../identity/load.js');
  const subjects = channelSubjects(ctx.env);
  const out = await castBallot(ctx, d.requestId, { via: 'channel', decision: d, extra, subjects });
  return isRefusal(out) ? out.reason : null;
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
    code: Refused.ClientReported,
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
  msg: { id: number; requestId: string; reason?: string | undefined; via?: 'cli' | 'tui' | undefined },
): Promise<void> {
  visibleRequest(ctx, conn, msg.requestId);
  // who revoked, as the kernel reports the connection's peer (decision 1100)
  const record = { ...(msg.via === undefined ? {} : { channel: msg.via }), ...peerRecord(conn) };
  const next = await ctx.machine.revoke(msg.requestId, 'local user', text(msg.reason), record);
  conn.result(msg.id, { state: next.state, view: next.view });
}
