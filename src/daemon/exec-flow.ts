/**
 * The exec client's conversation with the daemon as a pure reducer: (state, event) → (state,
 * effects). No socket, timer, signal or clock in here: the driver (exec-client.ts `requestRun`)
 * performs the effects and feeds back what happened. Every way out is an explicit `run` or
 * `fail` effect; once either is emitted the flow is `done` and ignores everything after it, so a
 * second decision, a late frame or a close can never start (or re-start) the command.
 */
import { DeniedError, FailClosedError, NotApprovedError, PendingError } from '../errors.js';
import { DaemonConnectionError, DaemonProtocolError, DaemonReplyError } from './client.js';
import { execOutcomeOf, waitEventOf } from './exec-replies.js';
import type { DaemonMessage, ExecOutcome, ExecutorRun } from './messages.js';
import { visibleText } from '../util/visible.js';

/** Extra time past the daemon's own deadline before the client gives up by itself. */
export const DEADLINE_SLACK_MS = 3000;

export type PendingOutcome = Extract<ExecOutcome, { outcome: 'pending' }>;

export interface FlowState {
  /** asking: a message is out; held: pending, waiting for a decision; done: ran or failed. */
  phase: 'asking' | 'held' | 'fetching' | 'reconnecting' | 'done';
  noWait: boolean;
  /** The daemon may ask once for the full context (the first message carried a partial one). */
  mayFetchContext: boolean;
  requestId?: string | undefined;
  /** Epoch ms after which nothing runs (the caller's --timeout, then the daemon's own deadline). */
  deadline?: number | undefined;
  lastQuestion?: string | undefined;
  escalated: boolean;
}

export type FlowEvent =
  | { type: 'frame'; message: DaemonMessage; now: number }
  | { type: 'closed'; error: Error }
  | { type: 'timeout' }
  | { type: 'interrupt' }
  | { type: 'context_ready' }
  | { type: 'context_failed'; error: Error }
  | { type: 'reconnected' }
  | { type: 'reconnect_failed' };

export interface Go {
  execId: string;
  requestId: string;
  executor?: ExecutorRun | undefined;
  /** Run this argv instead of the command's own: the saved plan the approver saw (decision 1086). */
  argv?: string[] | undefined;
}

export type FlowEffect =
  /** A line for the human on stderr (any time-left line is cleared first). */
  | { type: 'say'; text: string }
  /** The request id on stdout (--no-wait). */
  | { type: 'print'; text: string }
  | { type: 'announce'; outcome: PendingOutcome }
  /** Ctrl-C from now on withdraws the request. */
  | { type: 'listen_interrupt' }
  | { type: 'countdown'; requestId: string; until: number }
  /** Fire `timeout` at this time (replaces an earlier one). */
  | { type: 'arm'; at: number }
  /** Stop the timer, the Ctrl-C listener and the time-left line. */
  | { type: 'release' }
  /** Send the exec message (with `attach`: re-attach to that request). */
  | { type: 'send'; attach?: string | undefined }
  /** Build the message again with the full context and the values of `env` (decision 1026). */
  | { type: 'fetch_context'; env: string[] }
  /** Find the daemon again, until `until` (epoch ms; undefined: the driver's short default). */
  | { type: 'reconnect'; until?: number | undefined }
  | { type: 'close' }
  | { type: 'run'; go: Go }
  | { type: 'fail'; error: Error };

export interface Step {
  state: FlowState;
  effects: FlowEffect[];
}

export function startFlow(opts: { noWait: boolean; mayFetchContext: boolean; deadline?: number | undefined }): Step {
  const state: FlowState = {
    phase: 'asking',
    noWait: opts.noWait,
    mayFetchContext: opts.mayFetchContext,
    deadline: opts.deadline,
    escalated: false,
  };
  return { state, effects: [...arm(state), { type: 'send' }] };
}

const arm = (s: FlowState): FlowEffect[] => (s.deadline === undefined ? [] : [{ type: 'arm', at: s.deadline }]);

const finish = (s: FlowState, error: Error, extra: FlowEffect[] = []): Step => ({
  state: { ...s, phase: 'done' },
  effects: [{ type: 'release' }, ...extra, { type: 'fail', error }],
});

/** What a failure means to the agent: every one of them leaves the command not run. */
export function failureOf(err: Error): Error {
  if (err instanceof DaemonReplyError) {
    if (err.code === 'refused' || err.code === 'not_found')
      return new NotApprovedError(err.message, { hint: err.hint });
    return new FailClosedError(`the daemon could not decide: ${err.message}`, { hint: err.hint });
  }
  if (err instanceof DaemonProtocolError)
    return new FailClosedError(`${err.message}; nothing was run`, {
      hint: 'this guard and the running daemon may be different versions: restart the daemon',
    });
  if (err instanceof DaemonConnectionError)
    return new FailClosedError(`lost the guard daemon: ${err.message}; nothing was run`, {
      hint: 'check `guard daemon status` and GUARD_HOME/daemon.log',
    });
  return err;
}

export function stepFlow(s: FlowState, e: FlowEvent): Step {
  if (s.phase === 'done') return { state: s, effects: [] };
  switch (e.type) {
    case 'frame':
      // only an answer to the message that is out counts
      return s.phase === 'asking' || s.phase === 'held' ? onFrame(s, e.message, e.now) : { state: s, effects: [] };
    case 'closed':
      if (s.phase === 'reconnecting') return { state: s, effects: [] };
      if (e.error instanceof DaemonConnectionError && s.requestId !== undefined && !s.noWait)
        return {
          state: { ...s, phase: 'reconnecting' },
          effects: [
            { type: 'release' },
            { type: 'say', text: `lost the daemon while waiting for ${s.requestId}; reconnecting` },
            { type: 'reconnect', until: s.deadline },
          ],
        };
      return finish(s, failureOf(e.error));
    case 'timeout':
      return finish(
        s,
        new NotApprovedError(`request ${s.requestId ?? ''} timed out waiting for approval; nothing was run`, {
          hint: 'ask an approver, or retry with a longer --timeout',
        }),
        [{ type: 'close' }],
      );
    case 'interrupt':
      return finish(
        s,
        new NotApprovedError(
          `cancelled with Ctrl-C while waiting for approval of ${s.requestId ?? 'the request'}; the request is withdrawn and nothing was run`,
        ),
        [{ type: 'close' }],
      );
    case 'context_ready':
      if (s.phase !== 'fetching') return { state: s, effects: [] };
      return { state: { ...s, phase: 'asking' }, effects: [...arm(s), { type: 'send', attach: s.requestId }] };
    case 'context_failed':
      return finish(s, e.error);
    case 'reconnected':
      if (s.phase !== 'reconnecting') return { state: s, effects: [] };
      return { state: { ...s, phase: 'asking' }, effects: [...arm(s), { type: 'send', attach: s.requestId }] };
    case 'reconnect_failed':
      return finish(
        s,
        new FailClosedError(
          `lost the guard daemon while waiting for ${s.requestId ?? 'the request'}; nothing was run`,
          {
            hint: 'start it with `guard daemon start`, then run the command again',
          },
        ),
      );
  }
}

function onFrame(s: FlowState, m: DaemonMessage, now: number): Step {
  if (m.type === 'error') return finish(s, failureOf(new DaemonReplyError(m.code, m.message, m.hint)));
  if (m.type === 'result') {
    const o = execOutcomeOf(m.data);
    if (o instanceof DaemonProtocolError) return finish(s, failureOf(o));
    switch (o.outcome) {
      case 'run':
        return {
          state: { ...s, phase: 'done' },
          effects: [
            { type: 'release' },
            { type: 'run', go: { execId: o.execId, requestId: o.requestId, executor: o.executor, argv: o.argv } },
          ],
        };
      case 'need_context':
        if (!s.mayFetchContext)
          return finish(s, new FailClosedError('the daemon asked for the full request context twice; nothing was run'));
        return {
          state: { ...s, phase: 'fetching', mayFetchContext: false },
          effects: [{ type: 'release' }, { type: 'fetch_context', env: o.env ?? [] }],
        };
      case 'deny':
        return finish(
          s,
          new DeniedError(`denied by policy: ${o.reasons[0] ?? o.rules.join(', ')}; nothing was run`, {
            hint: o.hint,
            details: { requestId: o.requestId, rules: o.rules, reasons: o.reasons },
          }),
        );
      case 'closed':
        return finish(s, new NotApprovedError(`request ${o.requestId} was ${o.state}: ${o.reason}; nothing was run`));
      case 'pending':
        return onPending(s, o);
    }
  }
  const e = waitEventOf(m.data);
  if (e instanceof DaemonProtocolError) return finish(s, failureOf(e));
  if (e.event === 'run') {
    if (s.deadline !== undefined && now > s.deadline)
      return finish(s, new NotApprovedError(`approval for ${e.requestId} arrived after the deadline; nothing was run`));
    const by = e.approvedBy !== undefined && e.approvedBy.length > 0 ? ` by ${e.approvedBy.join(', ')}` : '';
    return {
      state: { ...s, phase: 'done' },
      effects: [
        { type: 'release' },
        { type: 'say', text: `approved${by} — running` },
        { type: 'run', go: { execId: e.execId, requestId: e.requestId, executor: e.executor, argv: e.argv } },
      ],
    };
  }
  if (e.event === 'closed')
    return finish(s, new NotApprovedError(`request ${e.requestId} was ${e.state}: ${e.reason}; nothing was run`));
  const effects: FlowEffect[] = [];
  let next = s;
  if (e.event === 'update' && e.view.escalatedTo !== undefined && !s.escalated) {
    next = { ...next, escalated: true };
    effects.push({
      type: 'say',
      text: `nobody decided in time: ${e.view.id} escalated to ${visibleText(e.view.escalatedTo)}; still waiting`,
    });
  }
  if (
    e.event === 'update' &&
    e.view.state === 'needs_info' &&
    e.view.question !== undefined &&
    e.view.question !== s.lastQuestion
  ) {
    next = { ...next, lastQuestion: e.view.question };
    const who = e.view.askedBy === undefined ? 'an approver' : e.view.askedBy;
    effects.push(
      { type: 'say', text: `${who} asks: ${visibleText(e.view.question)}` },
      { type: 'say', text: `answer with \`guard reply ${e.view.id} --message "..."\`; still waiting` },
    );
  }
  return { state: next, effects };
}

function onPending(s: FlowState, o: PendingOutcome): Step {
  if (s.noWait)
    return finish({ ...s, requestId: o.requestId }, pendingError(o), [{ type: 'print', text: `${o.requestId}\n` }]);
  const attached = s.requestId !== undefined;
  const daemonDeadline = Date.parse(o.waitUntil) + DEADLINE_SLACK_MS;
  const deadline = s.deadline === undefined ? daemonDeadline : Math.min(s.deadline, daemonDeadline);
  return {
    state: { ...s, phase: 'held', requestId: o.requestId, deadline },
    effects: [
      // listening before the announcement that tells the human Ctrl-C withdraws the request
      { type: 'listen_interrupt' },
      attached
        ? { type: 'say', text: `reconnected to the daemon; still waiting for ${o.requestId}` }
        : { type: 'announce', outcome: o },
      { type: 'arm', at: deadline },
      { type: 'countdown', requestId: o.requestId, until: deadline },
    ],
  };
}

function pendingError(o: PendingOutcome): PendingError {
  return new PendingError(`request ${o.requestId} is pending approval; nothing was run`, {
    hint: `run \`guard wait ${o.requestId}\`, then re-run the same command to use the approval`,
    details: { requestId: o.requestId, waitUntil: o.waitUntil },
  });
}
