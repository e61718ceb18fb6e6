/**
 * `exec`: judge a command, and answer run | deny | pending. Write-ahead: the request, the
 * decision and `exec_start` are committed before the client is told to run.
 */
import { envDigest, policyEnvNames } from '../../approval/binding.js';
import { requestFingerprint } from '../../approval/fingerprint.js';
import { FailClosedError } from '../../errors.js';
import type { Decision, Requester } from '../../policy/types.js';
import { scriptBinding, scriptContext, scriptsChanged } from '../../policy/script-read.js';
import { redactText } from '../../redact/index.js';
import { addWaiter, holders, removeWaiter, type DaemonContext, type Waiter } from '../context.js';
import { buildView, decisionPayload, intake, programSha256Of, requestPayload, requesterOf } from '../intake.js';
import { probeOf } from '../../request/grant-scope.js';
import { intentExtra, sessionOf, sessionView } from '../intent.js';
import { newExecId, newRequestId, type LedgerItem } from '../machine.js';
import type { ExecMessage, ExecOutcome, WaitEvent } from '../messages.js';
import { isOpen, type StoredRequest } from '../record.js';
import { peerRecord, scopeOf, verifiedRequester } from '../scope.js';
import { ReplyError, type Conn } from '../server.js';
import { executorEnvNames, executorOffer, executorPlan, type ExecutorPlan } from '../executor.js';
import { previewExtra, previewFor } from '../../preview/index.js';
import { executorPreview, type ExecutorPreviewRun } from '../executor-preview.js';
import { judgedEnv, needContext, quickNeedsValues, readEnvNames } from '../judged-env.js';
import {
  mayApplyLater,
  PlanRuns,
  prunePlans,
  savedPlanArgv,
  savedPlanPath,
  savedPlanRun,
  type SavedPlanRun,
} from '../../preview/saved-plan.js';
import { rm } from 'node:fs/promises';
import { grantBoundsView } from '../../approval/grant-choices.js';

const planRuns = new WeakMap<DaemonContext, PlanRuns>();

/** This daemon's runs that apply a saved plan (decision 1086). */
function planRunsOf(ctx: DaemonContext): PlanRuns {
  let p = planRuns.get(ctx);
  if (p === undefined) {
    p = new PlanRuns();
    planRuns.set(ctx, p);
  }
  return p;
}

/** A saved plan no grant can apply any more and no run still applies: removed. */
async function dropUsedPlan(ctx: DaemonContext, requestId: string): Promise<void> {
  if (mayApplyLater(ctx.store.get(requestId), ctx.now()) || planRunsOf(ctx).running(requestId)) return;
  await rm(savedPlanPath(ctx.home, requestId), { force: true });
}

type Msg = ExecMessage & { id: number };

/**
 * The approval fingerprint of a request: exact argv bytes, cwd, requester, program digest and,
 * when the client sent its binding, the environment digest (the listed variables plus
 * `policyEnv`, the names the policy's own `env` matches read) and the resolved arguments.
 */
export function fingerprintOf(
  msg: Pick<ExecMessage, 'argv' | 'rawArgvB64' | 'cwd' | 'context' | 'binding'>,
  requester: Requester,
  policyEnv: readonly string[] = [],
  scripts?: Decision['scripts'],
): string {
  const rawArgv = msg.rawArgvB64?.map((b) => Buffer.from(b, 'base64'));
  const b = msg.binding;
  return requestFingerprint({
    argv: msg.argv,
    rawArgv,
    cwd: msg.cwd,
    requester,
    programSha256: programSha256Of(msg.context),
    envDigest: b === undefined ? undefined : envDigest(b.env, policyEnv, msg.context),
    targets: b?.targets,
    scripts: scriptBinding(scripts),
  });
}

export async function handleExec(ctx: DaemonContext, conn: Conn, msg: Msg): Promise<void> {
  const claimed = requesterOf(msg.context);
  if (claimed === undefined) throw new ReplyError('bad_request', 'context.requester.user is missing');
  const requester = verifiedRequester(scopeOf(ctx, conn), claimed);
  if (msg.rawArgvB64 !== undefined && msg.rawArgvB64.length !== msg.argv.length) {
    throw new ReplyError('bad_request', 'rawArgvB64 must have one entry per argv element');
  }
  if (msg.binding !== undefined && msg.binding.targets.length !== msg.argv.length) {
    throw new ReplyError('bad_request', 'binding.targets must have one entry per argv element');
  }
  const loaded = await ctx.policy.forCwd(msg.cwd);
  // env: rules judge the values the binding carries (decisions 1025, 1026); a quick request whose
  // environment sets a variable the policy reads is asked for the full context and those values
  const read = readEnvNames(policyEnvNames(loaded.policy.rules));
  if (quickNeedsValues(msg, read)) return conn.result(msg.id, needContext(read));
  const env = judgedEnv(msg, policyEnvNames(loaded.policy.rules));
  const decision = await ctx.judge({ argv: msg.argv, cwd: msg.cwd, requester, env }, loaded);
  const fingerprint = fingerprintOf(
    msg,
    requester,
    [...policyEnvNames(loaded.policy.rules), ...executorEnvNames(ctx.env)],
    decision.scripts,
  );
  // enforced mode: credentialed commands run in the daemon's executor, judged on the full context
  const plan = executorPlan(ctx, msg, decision);
  if (plan !== undefined && msg.partialContext === true) return conn.result(msg.id, needContext(read));
  // an approval of a previewed terraform apply applies exactly the saved plan (decision 1086)
  const saved = (r: StoredRequest): Promise<SavedPlanRun> => savedPlanRun(ctx.home, r, msg.argv, decision);
  if (msg.attach !== undefined) return attach(ctx, conn, msg, msg.attach, fingerprint, plan, saved);

  const id = newRequestId();
  const t = intake(msg, requester);
  // agent-supplied intent of the hook check that rewrote this command (never part of the decision)
  const shown = ctx.intents.find(conn.peer?.uid, sessionOf(msg.context), msg.argv);
  const request: LedgerItem = {
    type: 'request',
    payload: requestPayload(id, msg, t, fingerprint, { ...peerRecord(conn), ...intentExtra(shown) }),
  };
  const answer = (o: ExecOutcome): void => conn.result(msg.id, o);

  if (decision.effect === 'allow') {
    const execId = newExecId();
    await ctx.ledger.appendMany([
      request,
      { type: 'decision', payload: decisionPayload(id, decision) },
      { type: 'exec_start', payload: { requestId: id, execId, fingerprint, ...programOf(msg) } },
    ]);
    return answer({ outcome: 'run', execId, requestId: id, ...startedExec(ctx, conn, execId, id, plan) });
  }
  if (decision.effect === 'deny') {
    await ctx.ledger.appendMany([request, { type: 'decision', payload: decisionPayload(id, decision) }]);
    return answer(denial(id, decision));
  }
  if (decision.effect !== 'approve' || decision.approval === undefined) {
    throw new FailClosedError(`policy returned effect ${String(decision.effect)} without approval settings`);
  }
  // Holding or granting binds the program digest and shows the full context: ask for it first.
  // Nothing is recorded yet; the full request will be.
  if (msg.partialContext === true) return answer(needContext(read));
  // A grant from an earlier approval of exactly this command (`--no-wait`, then re-run).
  // …or a session grant whose scope covers this command (same rules, requester, cwd, agent session)
  const probe = probeOf(decision, requester, msg.cwd, sessionView(msg.context).session);
  const byGrant = async (granted: StoredRequest | undefined, scoped: boolean): Promise<boolean> => {
    if (granted === undefined) return false;
    const applies = scoped ? {} : await saved(granted);
    if ('refused' in applies) throw new ReplyError('refused', applies.refused);
    const execId = newExecId();
    const scope = scoped ? { scope: granted.grant?.scope?.text } : {};
    await ctx.ledger.appendMany([
      request,
      { type: 'decision', payload: decisionPayload(id, decision, { grant: granted.id, ...scope }) },
    ]);
    try {
      if (scoped) await ctx.machine.consumeScoped(granted.id, probe, fingerprint, execId, id);
      else await ctx.machine.consume(granted.id, fingerprint, execId, id, programSha256Of(msg.context));
      const offer = startedExec(ctx, conn, execId, id, plan, applying(ctx, execId, granted.id, applies));
      answer({ outcome: 'run', execId, requestId: id, grant: granted.id, ...runArgv(applies), ...offer });
      return true;
    } catch (err) {
      if (!(err instanceof ReplyError)) throw err;
      return false; // used up by a concurrent run: fall through to a new request
    }
  };
  if (await byGrant(ctx.machine.findGrant(fingerprint), false)) return;
  if (probe.session !== undefined && (await byGrant(ctx.machine.findScopedGrant(probe), true))) return;
  // effect preview (decision 1084): bounded in time, shown and hashed, never part of the decision
  const keepPlan =
    msg.rawArgvB64 === undefined ? savedPlanArgv(msg.argv, decision, savedPlanPath(ctx.home, id)) : undefined;
  if (keepPlan !== undefined)
    await prunePlans(ctx.home, (rq) => mayApplyLater(ctx.store.get(rq), ctx.now()) || planRunsOf(ctx).running(rq));
  let ranAs: ExecutorPreviewRun['ranAs'];
  const preview = await previewFor({
    decision,
    cwd: msg.cwd,
    env: ctx.env,
    peerUid: conn.peer?.uid,
    daemonUid: ctx.ownerUid,
    credentialed: plan !== undefined,
    // enforced mode: as the executor would run it (decision 1096); the request records that run
    executor:
      plan === undefined
        ? undefined
        : async (job) => {
            const run = await executorPreview(ctx, plan, env, job);
            ranAs = run.ranAs;
            return run;
          },
    keepPlan: keepPlan === undefined ? undefined : { path: savedPlanPath(ctx.home, id), words: keepPlan.words },
  });
  const held: LedgerItem =
    preview === undefined
      ? request
      : {
          type: 'request',
          payload: requestPayload(id, msg, t, fingerprint, {
            ...peerRecord(conn),
            ...intentExtra(shown),
            ...previewExtra(preview),
            ...(ranAs === undefined ? {} : { previewRanAs: ranAs }),
          }),
        };
  const now = ctx.now();
  const ruleSeconds = decision.approval.timeoutSeconds;
  const seconds = msg.timeoutSeconds === undefined ? ruleSeconds : Math.min(ruleSeconds, msg.timeoutSeconds);
  const createdAt = now.toISOString();
  const expiresAt = new Date(now.getTime() + seconds * 1000).toISOString();
  const r: StoredRequest = {
    id,
    state: 'pending',
    fingerprint,
    createdAt,
    expiresAt,
    detached: msg.noWait,
    view: {
      ...buildView(id, msg, t, decision, createdAt, expiresAt),
      ...(decision.scripts === undefined ? {} : { context: { ...t.context, ...redactedScripts(decision) } }),
      ...(shown === undefined ? {} : { intent: shown.view }),
      ...sessionView(msg.context),
      ...(preview === undefined ? {} : { preview }),
      ...grantBoundsView(decision.approval),
    },
    settings: decision.approval,
    requester,
    votes: [],
    policyDigest: decision.policyDigest,
    updatedAt: createdAt,
  };
  if (!msg.noWait) watchAsExec(ctx, conn, msg.id, r, programSha256Of(msg.context), plan, decision.scripts, saved);
  await ctx.machine.create(r, [held, { type: 'decision', payload: decisionPayload(id, decision) }]);
  if (!msg.noWait && conn.closed) {
    await ctx.machine.cancel(id, 'the requester went away before a decision');
    return;
  }
  answer({
    outcome: 'pending',
    requestId: id,
    view: r.view,
    channels: channelNames(ctx, decision),
    waitUntil: expiresAt,
  });
  ctx.notifyChannels(r.view);
}

/** The script files judged, for the reviewer (decision 0125), redacted like all context. */
function redactedScripts(d: Decision): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(scriptContext(d))) out[redactText(k).value] = redactText(v).value;
  return out;
}

/** exec_start names the digest of the program that runs, when the client hashed it. */
function programOf(msg: Pick<ExecMessage, 'context'>): { programSha256?: string } {
  const sha = programSha256Of(msg.context);
  return sha === undefined ? {} : { programSha256: sha };
}

function channelNames(ctx: DaemonContext, d: Decision): string[] {
  const wanted = d.approval?.channels ?? [];
  const names = ctx.channels.map((c) => c.name).filter((n) => wanted.length === 0 || wanted.includes(n));
  return [...names, 'cli'];
}

function denial(id: string, d: Decision): ExecOutcome {
  const rules = d.matches.filter((m) => m.effect === 'deny').map((m) => m.ruleId);
  return {
    outcome: 'deny',
    requestId: id,
    reasons: d.reasons,
    rules,
    hint:
      d.unresolved.length > 0 && rules.length === 0
        ? 'the command could not be judged statically; write it without eval, variables as program names, or piping into a shell'
        : 'do not retry this command; ask a human to change the policy if it is needed',
  };
}

/** Re-attach after the daemon was lost: same fingerprint only. */
async function attach(
  ctx: DaemonContext,
  conn: Conn,
  msg: Msg,
  requestId: string,
  fingerprint: string,
  plan: ExecutorPlan | undefined,
  saved: (r: StoredRequest) => Promise<SavedPlanRun>,
): Promise<void> {
  const r = ctx.store.get(requestId);
  if (r === undefined) throw new ReplyError('not_found', `no request ${requestId}`);
  if (r.fingerprint !== fingerprint)
    throw new ReplyError('refused', `request ${requestId} is for a different command, directory or requester`);
  if (isOpen(r)) {
    watchAsExec(ctx, conn, msg.id, r, programSha256Of(msg.context), plan, undefined, saved);
    conn.result(msg.id, {
      outcome: 'pending',
      requestId,
      view: r.view,
      channels: [...ctx.channels.map((c) => c.name), 'cli'],
      waitUntil: r.expiresAt,
    } satisfies ExecOutcome);
    return;
  }
  if (r.state === 'approved') {
    const applies = await saved(r);
    if ('refused' in applies) throw new ReplyError('refused', applies.refused);
    const execId = newExecId();
    await ctx.machine.consume(r.id, fingerprint, execId, r.id, programSha256Of(msg.context));
    const offer = startedExec(ctx, conn, execId, r.id, plan, applying(ctx, execId, r.id, applies));
    conn.result(msg.id, { outcome: 'run', execId, requestId, ...runArgv(applies), ...offer } satisfies ExecOutcome);
    return;
  }
  throw new ReplyError(
    'refused',
    `request ${requestId} is ${r.state}${r.view.decisionReason ? `: ${r.view.decisionReason}` : ''}`,
  );
}

/** An exec client waiting on its request: runs on approval, told on every other change. */
function watchAsExec(
  ctx: DaemonContext,
  conn: Conn,
  re: number,
  r: StoredRequest,
  programSha256: string | undefined,
  plan?: ExecutorPlan,
  scripts?: Decision['scripts'],
  saved?: (r: StoredRequest) => Promise<SavedPlanRun>,
): void {
  let done = false;
  const send = (e: WaitEvent): void => conn.event(re, e);
  const waiter: Waiter = {
    conn,
    holdsRequest: !r.detached,
    onChange(next) {
      if (done) return;
      if (next.state === 'approved') {
        done = true;
        removeWaiter(ctx, r.id, waiter);
        // a script file judged for this request must still hold what was approved (decision 0125)
        const changed = scriptsChanged(scripts);
        if (changed !== undefined) {
          send({ event: 'closed', requestId: next.id, state: 'approved', reason: `approved, but ${changed}` });
          return;
        }
        const execId = newExecId();
        const closed = (reason: string): void =>
          send({ event: 'closed', requestId: next.id, state: 'approved', reason });
        void (async () => {
          const applies = (await saved?.(next)) ?? {};
          if ('refused' in applies) return closed(applies.refused);
          try {
            await ctx.machine.consume(next.id, next.fingerprint, execId, next.id, programSha256);
          } catch (err) {
            return closed(`approved, but the grant cannot be used: ${(err as Error).message}`);
          }
          const offer = startedExec(ctx, conn, execId, next.id, plan, applying(ctx, execId, next.id, applies));
          send({
            event: 'run',
            execId,
            requestId: next.id,
            approvedBy: next.view.approvals.map((a) => a.approver),
            ...runArgv(applies),
            ...offer,
          });
        })().catch((err: unknown) => closed(`approved, but the run could not be prepared: ${(err as Error).message}`));
        return;
      }
      if (isOpen(next)) {
        send({ event: 'update', view: next.view });
        return;
      }
      done = true;
      removeWaiter(ctx, r.id, waiter);
      send({ event: 'closed', requestId: next.id, state: next.state, reason: next.view.decisionReason ?? next.state });
    },
  };
  addWaiter(ctx, r.id, waiter);
  if (!r.detached) {
    conn.onClose(() => {
      if (done || ctx.stopping || holders(ctx, r.id) > 0) return;
      const current = ctx.store.get(r.id);
      if (current === undefined || !isOpen(current)) return;
      ctx.machine
        .cancel(r.id, 'the requester went away before a decision')
        .catch((err: unknown) => ctx.log.error(`cancel ${r.id}: ${(err as Error).message}`));
    });
  }
}

/** What the run answer carries of a saved plan's run: the argv the client says it applies (decision 1086). */
const runArgv = (a: SavedPlanRun): { argv?: string[] } => ('argv' in a && a.argv !== undefined ? { argv: a.argv } : {});

/** A run that applies request requestId's saved plan: remembered until it ends (decision 1086). */
interface Applying {
  savedPlan: NonNullable<ExecutorPlan['savedPlan']>;
  ended: () => Promise<void>;
}

function applying(ctx: DaemonContext, execId: string, requestId: string, a: SavedPlanRun): Applying | undefined {
  if (!('argv' in a) || a.argv === undefined) return undefined;
  planRunsOf(ctx).start(execId, requestId);
  return { savedPlan: { path: a.path, sha256: a.sha256, argv: a.argv }, ended: () => endPlanRun(ctx, execId) };
}

/** A run has ended: a saved plan it applied goes once no grant can apply it again. */
async function endPlanRun(ctx: DaemonContext, execId: string): Promise<void> {
  const planOf = planRunsOf(ctx).end(execId);
  if (planOf !== undefined)
    await dropUsedPlan(ctx, planOf).catch((err: unknown) =>
      ctx.log.warn(`saved plan of ${planOf}: ${(err as Error).message}`),
    );
}

/**
 * Remember a command told to run, and which verified user may report its end. With an executor
 * plan, the daemon runs it (exec_run) and the answer says so; a saved plan it applies is the
 * executor's to check and apply (decision 1110).
 */
function startedExec(
  ctx: DaemonContext,
  conn: Conn,
  execId: string,
  requestId: string,
  plan?: ExecutorPlan,
  applies?: Applying,
): ReturnType<typeof executorOffer> {
  // an executed command's end is the executor's to record, never a client's exec_end
  if (plan !== undefined)
    return executorOffer(
      ctx,
      conn,
      execId,
      requestId,
      applies === undefined ? plan : { ...plan, savedPlan: applies.savedPlan },
      applies?.ended,
    );
  ctx.execs.set(execId, requestId);
  ctx.execOwners.set(execId, conn.peer?.uid);
  return {};
}

export async function handleExecEnd(
  ctx: DaemonContext,
  conn: Conn,
  msg: { id: number; execId: string; exitCode: number; signal?: string | null | undefined; durationMs: number },
): Promise<void> {
  const requestId = ctx.execs.get(msg.execId);
  const owner = ctx.execOwners.get(msg.execId);
  // another user cannot end (or invent the exit status of) a command it was not told to run
  if (requestId === undefined || (scopeOf(ctx, conn).kind !== 'owner' && owner !== conn.peer?.uid))
    throw new ReplyError('not_found', `no running command ${msg.execId}`);
  ctx.execs.delete(msg.execId);
  ctx.execOwners.delete(msg.execId);
  await endPlanRun(ctx, msg.execId);
  await ctx.ledger.append('exec_end', {
    requestId,
    execId: msg.execId,
    exitCode: msg.exitCode,
    signal: msg.signal ?? null,
    durationMs: Math.round(msg.durationMs),
    ...peerRecord(conn),
  });
  conn.result(msg.id, { recorded: true });
}
