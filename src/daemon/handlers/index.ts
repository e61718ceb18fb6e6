/** The handler map: one handler per message type. */
import type { DaemonContext } from '../context.js';
import type { Handlers } from '../server.js';
import { handleCheck } from './check.js';
import { handleDecide, handleReply, handleReportRefusal, handleRevoke } from './decide.js';
import { handleEnroll } from './enroll.js';
import { handleGrantExtend } from './extend.js';
import { handleApproverChange, handleApproverGet, handleApproverRemove } from './approver-admin.js';
import { handleCredential } from './credential.js';
import { handleExecRun, handleExecSignal, handleExecStream } from '../executor.js';
import { handleExec, handleExecEnd } from './exec.js';
import {
  handleGrants,
  handleHistory,
  handleList,
  handlePing,
  handleShow,
  handleShutdown,
  handleStatus,
  handleSubscribe,
  handleWait,
} from './query.js';

export function makeHandlers(ctx: DaemonContext): Handlers {
  return {
    ping: (c, m) => handlePing(ctx, c, m),
    exec: (c, m) => handleExec(ctx, c, m),
    exec_end: (c, m) => handleExecEnd(ctx, c, m),
    check: (c, m) => handleCheck(ctx, c, m),
    decide: (c, m) => handleDecide(ctx, c, m),
    report_refusal: (c, m) => handleReportRefusal(ctx, c, m),
    reply: (c, m) => handleReply(ctx, c, m),
    revoke: (c, m) => handleRevoke(ctx, c, m),
    grant_extend: (c, m) => handleGrantExtend(ctx, c, m),
    wait: (c, m) => handleWait(ctx, c, m),
    list: (c, m) => handleList(ctx, c, m),
    show: (c, m) => handleShow(ctx, c, m),
    subscribe: (c, m) => handleSubscribe(ctx, c, m),
    grants: (c, m) => handleGrants(ctx, c, m),
    history: (c, m) => handleHistory(ctx, c, m),
    status: (c, m) => handleStatus(ctx, c, m),
    shutdown: (c, m) => handleShutdown(ctx, c, m),
    enroll: (c, m) => handleEnroll(ctx, c, m),
    approver_remove: (c, m) => handleApproverRemove(ctx, c, m),
    approver_change: (c, m) => handleApproverChange(ctx, c, m),
    approver_get: (c, m) => handleApproverGet(ctx, c, m),
    credential: (c, m) => handleCredential(ctx, c, m),
    exec_run: (c, m) => handleExecRun(ctx, c, m),
    exec_stream: (c, m) => handleExecStream(ctx, c, m),
    exec_signal: (c, m) => handleExecSignal(ctx, c, m),
  };
}
