/**
 * `check`: judge a command exactly as `exec` would (same policy host, same engine, same intake and
 * redaction), record `request` + `decision` unless asked not to, and answer the decision. Nothing
 * runs and no request is kept open: this is for callers that decide themselves what happens next
 * (the agent hooks). Write-ahead: the answer is sent only after the ledger commit; a ledger failure
 * is an error answer, never a decision.
 */
import type { Decision, Effect } from '../../policy/types.js';
import { redactText } from '../../redact/index.js';
import type { DaemonContext } from '../context.js';
import { decisionPayload, intake, requestPayload, requesterOf } from '../intake.js';
import { newRequestId } from '../machine.js';
import type { CheckMessage, CheckOutcome } from '../messages.js';
import { peerRecord, scopeOf, verifiedRequester } from '../scope.js';
import { ReplyError, type Conn } from '../server.js';
import { displayIntent, intentExtra, rememberIntent } from '../intent.js';
import { fingerprintOf } from './exec.js';

const ALL_EFFECTS: readonly Effect[] = ['allow', 'approve', 'deny'];

/** The argv a check records: the given argv, or what `guard exec -- bash -c <shell>` would send. */
export function checkArgv(msg: Pick<CheckMessage, 'argv' | 'shell'>): string[] {
  if (msg.argv !== undefined) return msg.argv;
  if (msg.shell !== undefined) return ['bash', '-c', msg.shell];
  throw new ReplyError('bad_request', 'give exactly one of argv or shell');
}

export async function handleCheck(ctx: DaemonContext, conn: Conn, msg: CheckMessage & { id: number }): Promise<void> {
  const claimed = requesterOf(msg.context);
  if (claimed === undefined) throw new ReplyError('bad_request', 'context.requester.user is missing');
  const requester = verifiedRequester(scopeOf(ctx, conn), claimed);
  const argv = checkArgv(msg);
  const loaded = await ctx.policy.forCwd(msg.cwd);
  const decision = await ctx.judge({ argv, shell: msg.shell, cwd: msg.cwd, requester, env: msg.env }, loaded);
  // intent is attached after the decision: it never reaches the policy
  const intent = msg.intent === undefined ? undefined : displayIntent(msg.intent);
  if (intent !== undefined && decision.effect === 'approve')
    rememberIntent(ctx.intents, conn.peer?.uid, msg.context, argv, intent);
  const wanted = msg.record !== false && (msg.recordEffects ?? ALL_EFFECTS).includes(decision.effect);
  let requestId: string | undefined;
  if (wanted) {
    requestId = newRequestId();
    const via = msg.agent === undefined ? 'check' : `hook:${msg.agent}`;
    const t = intake({ argv, context: msg.context, reason: msg.reason, ticket: msg.ticket }, requester);
    const fingerprint = fingerprintOf({ argv, cwd: msg.cwd, context: msg.context }, requester);
    await ctx.ledger.appendMany([
      {
        type: 'request',
        payload: requestPayload(requestId, { cwd: msg.cwd }, t, fingerprint, {
          via,
          ...peerRecord(conn),
          ...intentExtra(intent),
        }),
      },
      { type: 'decision', payload: decisionPayload(requestId, decision, { via }) },
    ]);
  }
  conn.result(msg.id, outcome(decision, requestId));
}

function outcome(d: Decision, requestId: string | undefined): CheckOutcome {
  const r = (s: string): string => redactText(s).value;
  return {
    effect: d.effect,
    risk: d.risk,
    reasons: d.reasons.map(r),
    matches: d.matches.map((m) => ({
      ruleId: m.ruleId,
      effect: m.effect,
      risk: m.risk,
      description: r(m.description),
      impact: m.impact === undefined ? undefined : r(m.impact),
    })),
    unresolved: d.unresolved.map((u) => ({ kind: u.kind, detail: r(u.detail) })),
    policyDigest: d.policyDigest,
    approval:
      d.approval === undefined ? undefined : { timeoutSeconds: d.approval.timeoutSeconds, quorum: d.approval.quorum },
    requestId,
    commands: d.commands.map((c) => ({
      argv: [c.programPath ?? c.program ?? '', ...c.args].map(r),
      text: r(c.text),
    })),
  };
}
