/**
 * The exec client's reducer (src/daemon/exec-flow.ts), one transition at a time. Plain values in,
 * plain values out: no socket, no timer, no clock. The fail-closed rules: nothing runs unless the
 * daemon said `run` while the flow was open; after a refusal, a run, a close or a malformed frame
 * every later event is ignored.
 */
import { describe, expect, it } from 'vitest';
import {
  startFlow,
  stepFlow,
  DEADLINE_SLACK_MS,
  type FlowEffect,
  type FlowEvent,
  type FlowState,
} from '../../src/daemon/exec-flow.js';
import { DaemonConnectionError } from '../../src/daemon/client.js';
import { DeniedError, FailClosedError, NotApprovedError, PendingError } from '../../src/errors.js';
import type { DaemonMessage } from '../../src/daemon/messages.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const WAIT_UNTIL = '2026-01-01T00:15:00Z';
const view = (over: Record<string, unknown> = {}) => ({
  id: 'rq-1',
  state: 'pending',
  command: 'terraform destroy',
  risk: 'high',
  quorum: 1,
  rules: [{ id: 'r', effect: 'approve', description: 'd' }],
  ...over,
});
const result = (data: unknown): FlowEvent => ({ type: 'frame', message: { re: 1, type: 'result', data }, now: NOW });
const event = (data: unknown, now = NOW): FlowEvent => ({
  type: 'frame',
  message: { re: 1, type: 'event', data },
  now,
});
const pending = result({
  outcome: 'pending',
  requestId: 'rq-1',
  channels: ['cli'],
  waitUntil: WAIT_UNTIL,
  view: view(),
});
const runResult = result({ outcome: 'run', execId: 'ex-1', requestId: 'rq-1' });
const runEvent = (now = NOW) => event({ event: 'run', execId: 'ex-1', requestId: 'rq-1', approvedBy: ['alice'] }, now);
const deny = result({ outcome: 'deny', requestId: 'rq-1', reasons: ['no'], rules: ['r'], hint: 'h' });
const lost: FlowEvent = { type: 'closed', error: new DaemonConnectionError('socket closed', undefined) };

/** Feed events in order; every effect emitted, and the last state. */
function drive(events: FlowEvent[], opts: Partial<Parameters<typeof startFlow>[0]> = {}) {
  const start = startFlow({ noWait: false, mayFetchContext: false, ...opts });
  let state: FlowState = start.state;
  const effects: FlowEffect[] = [...start.effects];
  for (const e of events) {
    const step = stepFlow(state, e);
    state = step.state;
    effects.push(...step.effects);
  }
  return { state, effects };
}
const runs = (effects: FlowEffect[]) => effects.filter((e) => e.type === 'run');
const failure = (effects: FlowEffect[]): Error | undefined =>
  effects.flatMap((e) => (e.type === 'fail' ? [e.error] : []))[0];

describe('exec flow: the client side of one request', () => {
  it('starts by sending the request, with the caller deadline armed', () => {
    expect(startFlow({ noWait: false, mayFetchContext: false }).effects).toEqual([{ type: 'send' }]);
    expect(startFlow({ noWait: false, mayFetchContext: false, deadline: NOW + 5 }).effects).toEqual([
      { type: 'arm', at: NOW + 5 },
      { type: 'send' },
    ]);
  });

  it('runs on an immediate run, once', () => {
    const { state, effects } = drive([runResult, runResult, runEvent()]);
    expect(runs(effects)).toEqual([{ type: 'run', go: { execId: 'ex-1', requestId: 'rq-1', executor: undefined } }]);
    expect(state.phase).toBe('done');
  });

  it('holds a pending request: Ctrl-C listened before the announcement, the daemon deadline armed', () => {
    const { state, effects } = drive([pending]);
    const until = Date.parse(WAIT_UNTIL) + DEADLINE_SLACK_MS;
    expect(effects.map((e) => e.type)).toEqual(['send', 'listen_interrupt', 'announce', 'arm', 'countdown']);
    expect(effects).toContainEqual({ type: 'arm', at: until });
    expect(state).toMatchObject({ phase: 'held', requestId: 'rq-1', deadline: until });
  });

  it('keeps the earlier of the caller deadline and the daemon one', () => {
    expect(drive([pending], { deadline: NOW + 1000 }).state.deadline).toBe(NOW + 1000);
  });

  it('runs when approved while held, and says by whom', () => {
    const { effects } = drive([pending, runEvent()]);
    expect(effects).toContainEqual({ type: 'say', text: 'approved by alice — running' });
    expect(runs(effects)).toHaveLength(1);
  });

  it('never runs an approval that arrives after the deadline', () => {
    const late = Date.parse(WAIT_UNTIL) + DEADLINE_SLACK_MS + 1;
    const { effects } = drive([pending, runEvent(late)]);
    expect(runs(effects)).toEqual([]);
    expect(failure(effects)).toBeInstanceOf(NotApprovedError);
  });

  it('a denial is final: a run after it never runs', () => {
    const { effects } = drive([deny, runResult, runEvent()]);
    expect(runs(effects)).toEqual([]);
    expect(failure(effects)).toBeInstanceOf(DeniedError);
    expect(effects.filter((e) => e.type === 'fail')).toHaveLength(1);
  });

  it('a request closed while held (denied, expired, revoked) is final', () => {
    const closed = event({ event: 'closed', requestId: 'rq-1', state: 'denied', reason: 'no' });
    const { effects } = drive([pending, closed, runEvent()]);
    expect(runs(effects)).toEqual([]);
    expect(failure(effects)?.message).toMatch(/rq-1 was denied: no; nothing was run/);
  });

  it('a second decision after a run is ignored (one run only)', () => {
    const closed = event({ event: 'closed', requestId: 'rq-1', state: 'denied', reason: 'no' });
    const { effects } = drive([pending, runEvent(), closed, runEvent()]);
    expect(runs(effects)).toHaveLength(1);
    expect(failure(effects)).toBeUndefined();
  });

  it('a daemon error reply fails: refused means not approved, anything else fails closed', () => {
    const refused: DaemonMessage = { re: 1, type: 'error', code: 'refused', message: 'no' };
    const internal: DaemonMessage = { re: 1, type: 'error', code: 'internal', message: 'boom' };
    expect(failure(drive([{ type: 'frame', message: refused, now: NOW }]).effects)).toBeInstanceOf(NotApprovedError);
    expect(failure(drive([{ type: 'frame', message: internal, now: NOW }, runResult]).effects)).toBeInstanceOf(
      FailClosedError,
    );
  });

  it('a malformed frame fails closed and nothing after it runs', () => {
    for (const bad of [
      result({ outcome: 'run', requestId: 'rq-1' }), // no execId
      result('run'),
      event({ event: 'run', requestId: 'rq-1' }),
      event({ event: 'approve-all' }),
    ]) {
      const { effects } = drive([pending, bad, runEvent()]);
      expect(runs(effects)).toEqual([]);
      expect(failure(effects)).toBeInstanceOf(FailClosedError);
    }
  });

  it('a close before any decision fails closed (no request to wait for)', () => {
    const { effects } = drive([lost, runResult]);
    expect(runs(effects)).toEqual([]);
    expect(failure(effects)?.message).toMatch(/^lost the guard daemon: socket closed; nothing was run/);
  });

  it('a close while held reconnects until the request deadline, then re-attaches', () => {
    const { state, effects } = drive([pending, lost]);
    expect(state.phase).toBe('reconnecting');
    expect(effects.slice(-3)).toEqual([
      { type: 'release' },
      { type: 'say', text: 'lost the daemon while waiting for rq-1; reconnecting' },
      { type: 'reconnect', until: Date.parse(WAIT_UNTIL) + DEADLINE_SLACK_MS },
    ]);
    // frames of the lost connection are not answers
    expect(stepFlow(state, runEvent()).effects).toEqual([]);
    const back = stepFlow(state, { type: 'reconnected' });
    expect(back.effects).toEqual([
      { type: 'arm', at: Date.parse(WAIT_UNTIL) + DEADLINE_SLACK_MS },
      { type: 'send', attach: 'rq-1' },
    ]);
    const reattached = stepFlow(back.state, pending);
    expect(reattached.effects).toContainEqual({
      type: 'say',
      text: 'reconnected to the daemon; still waiting for rq-1',
    });
    expect(reattached.effects.some((e) => e.type === 'announce')).toBe(false);
  });

  it('no daemon back before the deadline fails closed', () => {
    const { effects } = drive([pending, lost, { type: 'reconnect_failed' }, runEvent()]);
    expect(runs(effects)).toEqual([]);
    expect(failure(effects)?.message).toMatch(/lost the guard daemon while waiting for rq-1; nothing was run/);
  });

  it('--no-wait prints the id and stops as pending; a lost daemon is not waited for', () => {
    const { effects } = drive([pending, runEvent()], { noWait: true });
    expect(effects).toContainEqual({ type: 'print', text: 'rq-1\n' });
    expect(failure(effects)).toBeInstanceOf(PendingError);
    expect(runs(effects)).toEqual([]);
  });

  it('the deadline passing or Ctrl-C withdraws the request and closes the connection', () => {
    for (const ev of [{ type: 'timeout' }, { type: 'interrupt' }] as const) {
      const { effects } = drive([pending, ev, runEvent()]);
      expect(runs(effects)).toEqual([]);
      expect(effects).toContainEqual({ type: 'close' });
      expect(failure(effects)).toBeInstanceOf(NotApprovedError);
    }
  });

  it('fetches the full context once; a second request for it fails closed', () => {
    const need = result({ outcome: 'need_context' });
    const once = drive([need], { mayFetchContext: true });
    expect(once.state.phase).toBe('fetching');
    expect(once.effects.slice(-1)).toEqual([{ type: 'fetch_context', env: [] }]);
    // the names of the variables whose values the daemon needs travel with the request for them
    const named = drive([result({ outcome: 'need_context', env: ['DEPLOY_ENV'] })], { mayFetchContext: true });
    expect(named.effects.slice(-1)).toEqual([{ type: 'fetch_context', env: ['DEPLOY_ENV'] }]);
    const resent = stepFlow(once.state, { type: 'context_ready' });
    expect(resent.effects).toEqual([{ type: 'send', attach: undefined }]);
    expect(failure(stepFlow(resent.state, need).effects)?.message).toMatch(/asked for the full request context twice/);
    expect(failure(drive([need]).effects)).toBeInstanceOf(FailClosedError);
  });

  it('tells the requester a question once, and an escalation once', () => {
    const asked = event({ event: 'update', view: view({ state: 'needs_info', question: 'why?', askedBy: 'bob' }) });
    const escalated = event({ event: 'update', view: view({ escalatedTo: 'oncall' }) });
    const { effects, state } = drive([pending, asked, asked, escalated, escalated]);
    const said = effects.flatMap((e) => (e.type === 'say' ? [e.text] : []));
    expect(said.filter((t) => t === 'bob asks: why?')).toHaveLength(1);
    expect(said.filter((t) => t.includes('escalated to oncall'))).toHaveLength(1);
    expect(state.phase).toBe('held');
  });
});
