/**
 * The checks `guard exec` makes of the daemon's answers, without zod (the exec path stays thin:
 * test/daemon/thin-client.test.ts). Each returns the value when every field the exec client reads
 * has the type replies.ts declares, else a DaemonProtocolError saying what is wrong (returned, not
 * thrown: the callers are socket event handlers); test/daemon/replies.test.ts holds them to the schemas: what a
 * schema accepts these accept, and a reply of the wrong shape is refused by both.
 */
import { REQUEST_STATES } from '../request/state.js';
import { DaemonProtocolError } from './client.js';
import type { ExecOutcome, ExecutorEvent, ReplyOf, WaitEvent } from './messages.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const optStr = (v: unknown): boolean => v === undefined || typeof v === 'string';
const isStrs = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);
const STATES: ReadonlySet<unknown> = new Set(REQUEST_STATES);
const RISKS: ReadonlySet<unknown> = new Set(['low', 'medium', 'high', 'critical']);

function malformed(what: string, why: string): DaemonProtocolError {
  return new DaemonProtocolError(`${what} is malformed: ${why}`);
}

/** The view fields the exec client shows: id, state, command, risk, rules, quorum, question, escalation. */
function viewProblem(v: unknown): string | undefined {
  if (!isObj(v)) return 'view: not an object';
  if (!isStr(v['id']) || !STATES.has(v['state']) || !isStr(v['command']) || !RISKS.has(v['risk']))
    return 'view: id, state, command or risk';
  if (typeof v['quorum'] !== 'number') return 'view.quorum';
  const rules = v['rules'];
  if (!Array.isArray(rules) || !rules.every((r) => isObj(r) && isStr(r['id']) && isStr(r['effect'])))
    return 'view.rules';
  if (!rules.every((r: Obj) => isStr(r['description']) && optStr(r['impact']))) return 'view.rules';
  for (const k of ['question', 'askedBy', 'escalatedTo']) if (!optStr(v[k])) return `view.${k}`;
  return undefined;
}

const executorOk = (e: unknown): boolean => e === undefined || (isObj(e) && isStrs(e['env']) && isStr(e['token']));
/** A replacement argv (decision 1086): absent, or a non-empty list of strings. */
const argvOk = (a: unknown): boolean => a === undefined || (isStrs(a) && a.length > 0);

function outcomeProblem(o: Obj): string | undefined {
  switch (o['outcome']) {
    case 'need_context':
      return o['env'] === undefined || isStrs(o['env']) ? undefined : 'need_context: env';
    case 'run':
      return isStr(o['execId']) &&
        isStr(o['requestId']) &&
        optStr(o['grant']) &&
        argvOk(o['argv']) &&
        executorOk(o['executor'])
        ? undefined
        : 'run: execId, requestId, grant, argv or executor';
    case 'deny':
      return isStr(o['requestId']) && isStrs(o['reasons']) && isStrs(o['rules']) && isStr(o['hint'])
        ? undefined
        : 'deny: requestId, reasons, rules or hint';
    case 'pending':
      if (!isStr(o['requestId']) || !isStrs(o['channels']) || !isStr(o['waitUntil']))
        return 'pending: requestId, channels or waitUntil';
      return viewProblem(o['view']);
    case 'closed':
      return isStr(o['requestId']) && STATES.has(o['state']) && isStr(o['reason'])
        ? undefined
        : 'closed: requestId, state or reason';
    default:
      return `outcome ${JSON.stringify(o['outcome'])}`;
  }
}

function isExecOutcome(v: unknown): v is ExecOutcome {
  return isObj(v) && outcomeProblem(v) === undefined;
}

/** The first answer to exec. */
export function execOutcomeOf(data: unknown): ExecOutcome | DaemonProtocolError {
  if (isExecOutcome(data)) return data;
  return malformed("the daemon's answer to exec", isObj(data) ? (outcomeProblem(data) ?? '') : 'not an object');
}

function eventProblem(e: Obj): string | undefined {
  switch (e['event']) {
    case 'update':
      return viewProblem(e['view']);
    case 'approved':
      return isStr(e['requestId']) ? viewProblem(e['view']) : 'approved: requestId';
    case 'run':
      return isStr(e['execId']) &&
        isStr(e['requestId']) &&
        (e['approvedBy'] === undefined || isStrs(e['approvedBy'])) &&
        argvOk(e['argv']) &&
        executorOk(e['executor'])
        ? undefined
        : 'run: execId, requestId, approvedBy, argv or executor';
    case 'closed':
      return isStr(e['requestId']) && STATES.has(e['state']) && isStr(e['reason'])
        ? undefined
        : 'closed: requestId, state or reason';
    default:
      return `event ${JSON.stringify(e['event'])}`;
  }
}

function isWaitEvent(v: unknown): v is WaitEvent {
  return isObj(v) && eventProblem(v) === undefined;
}

/** An event on a waiting exec. */
export function waitEventOf(data: unknown): WaitEvent | DaemonProtocolError {
  if (isWaitEvent(data)) return data;
  return malformed('an event from the daemon', isObj(data) ? (eventProblem(data) ?? '') : 'not an object');
}

function isExecutorEvent(v: unknown): v is ExecutorEvent {
  if (!isObj(v)) return false;
  return v['event'] === 'started';
}

/** An event on exec_run: the command started. */
export function executorEventOf(data: unknown): ExecutorEvent | DaemonProtocolError {
  if (isExecutorEvent(data)) return data;
  return malformed('an executor event from the daemon', 'event');
}

function isExecRunResult(v: unknown): v is ReplyOf<'exec_run'> {
  return isObj(v) && typeof v['exitCode'] === 'number' && (v['signal'] === null || isStr(v['signal']));
}

/** The result of exec_run: how the command ended. */
export function execRunResultOf(data: unknown): ReplyOf<'exec_run'> | DaemonProtocolError {
  if (isExecRunResult(data)) return data;
  return malformed("the daemon's answer to exec_run", 'exitCode or signal');
}
