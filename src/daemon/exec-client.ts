/**
 * The exec client's conversation with the daemon: send the command, then follow the answer —
 * run, deny, or wait (printing what is awaited) until approved, denied, expired or revoked.
 * Nothing runs unless the daemon said `run` (after committing exec_start) before the deadline.
 */
import { DeniedError, FailClosedError, NotApprovedError, PendingError } from '../errors.js';
import { DaemonConnectionError, DaemonProtocolError, DaemonReplyError, type DaemonClient } from './client.js';
import { reconnect } from './connect.js';
import { formatDuration } from './duration.js';
import { execOutcomeOf, waitEventOf } from './exec-replies.js';
import type { DaemonMessage, ExecMessage, ExecOutcome, ExecutorRun } from './messages.js';
import { visibleText } from '../util/visible.js';

/** How long a waiting client tries to find the daemon again after losing it, unless one is starting (then: while it makes progress). */
export const RECONNECT_MS = 3000;
/** Extra time past the daemon's own deadline before the client gives up by itself. */
const DEADLINE_SLACK_MS = 3000;

export type Go = {
  client: DaemonClient;
  execId: string;
  requestId: string;
  executor?: ExecutorRun | undefined;
  /** Run this argv instead of the command's own: the saved plan the approver saw (decision 1086). */
  argv?: string[] | undefined;
};

/** Thrown inside the exchange when the daemon wants the full context; never leaves requestRun. */
class NeedContext extends Error {
  constructor(readonly env: string[]) {
    super('need_context');
  }
}

export interface ExecIo {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const say = (io: ExecIo, text: string): void => {
  io.stderr.write(`guard: ${text}\n`);
};

function replyToError(err: DaemonReplyError): Error {
  if (err.code === 'refused' || err.code === 'not_found') return new NotApprovedError(err.message, { hint: err.hint });
  return new FailClosedError(`the daemon could not decide: ${err.message}`, { hint: err.hint });
}

/** "the terminal UI (`guard tui`), `guard approve ID`, or slack, webhook:ops": every way to decide. */
function where(channels: string[], requestId: string): string {
  const remote = channels.filter((c) => c !== 'cli');
  const local = `the terminal UI (\`guard tui\`) or \`guard approve ${requestId}\``;
  return remote.length === 0 ? local : `${local}, or in ${remote.join(', ')}`;
}

function announce(io: ExecIo, o: Extract<ExecOutcome, { outcome: 'pending' }>): void {
  const v = o.view;
  const left = Date.parse(o.waitUntil) - Date.now();
  say(io, `request ${o.requestId} is waiting for approval (risk ${v.risk}): ${visibleText(v.command)}`);
  for (const rule of v.rules.filter((r) => r.effect === 'approve'))
    say(io, `  rule ${rule.id}: ${visibleText(rule.impact ?? rule.description)}`);
  const need = v.quorum > 1 ? `${v.quorum} approvals` : '1 approval';
  say(
    io,
    `needs ${need}; approvers can decide in ${where(o.channels, o.requestId)}; time left ${formatDuration(left)} (until ${o.waitUntil})`,
  );
  say(io, 'Ctrl-C withdraws the request; nothing runs unless it is approved');
}

/** While held on a terminal: one status line with the time left, rewritten in place. Display only. */
function countdown(io: ExecIo, requestId: string, until: () => number): { clear(): void; stop(): void } {
  const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
  let shown = false;
  const draw = (): void => {
    shown = true;
    io.stderr.write(
      `\r\u001b[Kguard: waiting for ${requestId}: ${formatDuration(Math.max(0, until() - Date.now()))} left (Ctrl-C withdraws)`,
    );
  };
  const clear = (): void => {
    if (shown) io.stderr.write('\r\u001b[K');
    shown = false;
  };
  if (!tty) return { clear, stop: clear };
  draw();
  const timer = setInterval(draw, 1000);
  timer.unref();
  return {
    clear,
    stop: () => {
      clearInterval(timer);
      clear();
    },
  };
}

/**
 * Drive one exec request to a verdict. Resolves with the go-ahead (the caller runs the command);
 * throws DeniedError, NotApprovedError, PendingError (--no-wait) or FailClosedError.
 */
export async function requestRun(
  first: DaemonClient,
  initial: ExecMessage,
  io: ExecIo,
  localDeadline: number | undefined,
  /** Builds the same message with the full context (and the values of `env`), when the daemon asks for it. */
  fullMessage?: (env: string[]) => Promise<ExecMessage>,
): Promise<Go> {
  let client = first;
  let msg = initial;
  let requestId: string | undefined;
  let deadline = localDeadline;
  let lastQuestion: string | undefined;
  let escalated = false;
  /** The time-left line on a terminal, once the request is held. */
  let status: { clear(): void; stop(): void } | undefined;
  const tell = (text: string): void => {
    status?.clear();
    say(io, text);
  };
  for (;;) {
    const body: ExecMessage = requestId === undefined ? msg : { ...msg, attach: requestId };
    try {
      return await new Promise<Go>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const arm = (at: number): void => {
          if (timer !== undefined) clearTimeout(timer);
          timer = setTimeout(
            () => {
              reject(
                new NotApprovedError(`request ${requestId ?? ''} timed out waiting for approval; nothing was run`, {
                  hint: 'ask an approver, or retry with a longer --timeout',
                }),
              );
              client.close();
            },
            Math.max(0, at - Date.now()),
          );
        };
        // Ctrl-C while held: announced, the request withdrawn (the daemon cancels it when we leave)
        const onInterrupt = (): void => {
          done(() =>
            reject(
              new NotApprovedError(
                `cancelled with Ctrl-C while waiting for approval of ${requestId ?? 'the request'}; the request is withdrawn and nothing was run`,
              ),
            ),
          );
          client.close();
        };
        const done = (f: () => void): void => {
          if (timer !== undefined) clearTimeout(timer);
          process.off('SIGINT', onInterrupt);
          status?.stop();
          status = undefined;
          f();
        };
        if (deadline !== undefined) arm(deadline);
        client.onClose((err) => done(() => reject(err)));
        client.send(body, (m: DaemonMessage) => {
          if (m.type === 'error') return done(() => reject(new DaemonReplyError(m.code, m.message, m.hint)));
          if (m.type === 'result') {
            const o = execOutcomeOf(m.data);
            if (o instanceof DaemonProtocolError) return done(() => reject(o));
            if (o.outcome === 'run')
              return done(() =>
                resolve({ client, execId: o.execId, requestId: o.requestId, executor: o.executor, argv: o.argv }),
              );
            if (o.outcome === 'need_context') return done(() => reject(new NeedContext(o.env ?? [])));
            if (o.outcome === 'deny') {
              return done(() =>
                reject(
                  new DeniedError(`denied by policy: ${o.reasons[0] ?? o.rules.join(', ')}; nothing was run`, {
                    hint: o.hint,
                    details: { requestId: o.requestId, rules: o.rules, reasons: o.reasons },
                  }),
                ),
              );
            }
            if (o.outcome === 'closed')
              return done(() =>
                reject(new NotApprovedError(`request ${o.requestId} was ${o.state}: ${o.reason}; nothing was run`)),
              );
            if (o.outcome === 'pending') {
              const attached = requestId !== undefined;
              requestId = o.requestId;
              if (msg.noWait) {
                io.stdout.write(`${o.requestId}\n`);
                return done(() =>
                  reject(
                    new PendingError(`request ${o.requestId} is pending approval; nothing was run`, {
                      hint: `run \`guard wait ${o.requestId}\`, then re-run the same command to use the approval`,
                      details: { requestId: o.requestId, waitUntil: o.waitUntil },
                    }),
                  ),
                );
              }
              // listening before the announcement that tells the human Ctrl-C withdraws the request
              process.off('SIGINT', onInterrupt);
              process.on('SIGINT', onInterrupt);
              status?.clear();
              if (!attached) announce(io, o);
              else say(io, `reconnected to the daemon; still waiting for ${o.requestId}`);
              const daemonDeadline = Date.parse(o.waitUntil) + DEADLINE_SLACK_MS;
              deadline = deadline === undefined ? daemonDeadline : Math.min(deadline, daemonDeadline);
              arm(deadline);
              const until = deadline;
              status ??= countdown(io, o.requestId, () => until);
            }
            return;
          }
          const e = waitEventOf(m.data);
          if (e instanceof DaemonProtocolError) return done(() => reject(e));
          if (e.event === 'run') {
            if (deadline !== undefined && Date.now() > deadline)
              return done(() =>
                reject(new NotApprovedError(`approval for ${e.requestId} arrived after the deadline; nothing was run`)),
              );
            const by = e.approvedBy !== undefined && e.approvedBy.length > 0 ? ` by ${e.approvedBy.join(', ')}` : '';
            return done(() => {
              say(io, `approved${by} — running`);
              resolve({ client, execId: e.execId, requestId: e.requestId, executor: e.executor, argv: e.argv });
            });
          }
          if (e.event === 'closed')
            return done(() =>
              reject(new NotApprovedError(`request ${e.requestId} was ${e.state}: ${e.reason}; nothing was run`)),
            );
          if (e.event === 'update' && e.view.escalatedTo !== undefined && !escalated) {
            escalated = true;
            tell(`nobody decided in time: ${e.view.id} escalated to ${visibleText(e.view.escalatedTo)}; still waiting`);
          }
          if (
            e.event === 'update' &&
            e.view.state === 'needs_info' &&
            e.view.question !== undefined &&
            e.view.question !== lastQuestion
          ) {
            lastQuestion = e.view.question;
            const who = e.view.askedBy === undefined ? 'an approver' : e.view.askedBy;
            tell(`${who} asks: ${visibleText(e.view.question)}`);
            tell(`answer with \`guard reply ${e.view.id} --message "..."\`; still waiting`);
          }
        });
      });
    } catch (err) {
      if (err instanceof NeedContext) {
        if (fullMessage === undefined || msg.partialContext !== true)
          throw new FailClosedError('the daemon asked for the full request context twice; nothing was run');
        msg = await fullMessage(err.env);
        continue;
      }
      if (err instanceof DaemonReplyError) throw replyToError(err);
      if (err instanceof DaemonProtocolError)
        throw new FailClosedError(`${err.message}; nothing was run`, {
          hint: 'this guard and the running daemon may be different versions: restart the daemon',
        });
      if (!(err instanceof DaemonConnectionError) || requestId === undefined || msg.noWait) {
        if (err instanceof DaemonConnectionError)
          throw new FailClosedError(`lost the guard daemon: ${err.message}; nothing was run`, {
            hint: 'check `guard daemon status` and GUARD_HOME/daemon.log',
          });
        throw err;
      }
      status?.clear();
      say(io, `lost the daemon while waiting for ${requestId}; reconnecting`);
      const again = await reconnect(io.env, RECONNECT_MS);
      if (again === undefined) {
        throw new FailClosedError(`lost the guard daemon while waiting for ${requestId}; nothing was run`, {
          hint: 'start it with `guard daemon start`, then run the command again',
        });
      }
      client = again;
    }
  }
}
