/**
 * The exec client's conversation with the daemon: send the command, then follow the answer —
 * run, deny, or wait (printing what is awaited) until approved, denied, expired or revoked.
 * Nothing runs unless the daemon said `run` (after committing exec_start) before the deadline.
 */
import { DaemonConnectionError, type DaemonClient } from './client.js';
import { reconnect } from './connect.js';
import { formatDuration } from './duration.js';
import {
  startFlow,
  stepFlow,
  type FlowEffect,
  type FlowEvent,
  type FlowState,
  type Go as FlowGo,
  type PendingOutcome,
} from './exec-flow.js';
import type { DaemonMessage, ExecMessage } from './messages.js';
import { visibleText } from '../util/visible.js';

/**
 * How long a client that lost the daemon before it had a deadline tries to find it again. A held
 * request always has one (the daemon's own, or --timeout): then the client keeps trying until it.
 */
export const RECONNECT_MS = 3000;

export type Go = { client: DaemonClient } & FlowGo;

export interface ExecIo {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const say = (io: ExecIo, text: string): void => {
  io.stderr.write(`guard: ${text}\n`);
};

/** "the terminal UI (`guard tui`), `guard approve ID`, or slack, webhook:ops": every way to decide. */
function where(channels: string[], requestId: string): string {
  const remote = channels.filter((c) => c !== 'cli');
  const local = `the terminal UI (\`guard tui\`) or \`guard approve ${requestId}\``;
  return remote.length === 0 ? local : `${local}, or in ${remote.join(', ')}`;
}

function announce(io: ExecIo, o: PendingOutcome): void {
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
 * rejects with DeniedError, NotApprovedError, PendingError (--no-wait) or FailClosedError. The
 * decisions are the reducer's (exec-flow.ts); this only performs its effects and reports back
 * what the socket, the timer, Ctrl-C and the reconnect did.
 */
export function requestRun(
  first: DaemonClient,
  initial: ExecMessage,
  io: ExecIo,
  localDeadline: number | undefined,
  /** Builds the same message with the full context (and the values of `env`), when the daemon asks for it. */
  fullMessage?: (env: string[]) => Promise<ExecMessage>,
): Promise<Go> {
  return new Promise<Go>((resolve, reject) => {
    let client = first;
    let msg = initial;
    let timer: NodeJS.Timeout | undefined;
    /** The time-left line on a terminal, once the request is held. */
    let status: { clear(): void; stop(): void } | undefined;
    /** Only the newest connection and the newest message may report. */
    let connection = 0;
    let sent = 0;
    const onInterrupt = (): void => dispatch({ type: 'interrupt' });
    const watch = (c: DaemonClient): void => {
      const mine = ++connection;
      c.onClose((error) => {
        if (mine === connection) dispatch({ type: 'closed', error });
      });
    };
    const perform = (e: FlowEffect): void => {
      switch (e.type) {
        case 'say':
          status?.clear();
          return say(io, e.text);
        case 'print':
          io.stdout.write(e.text);
          return;
        case 'announce':
          status?.clear();
          return announce(io, e.outcome);
        case 'listen_interrupt':
          process.off('SIGINT', onInterrupt);
          process.on('SIGINT', onInterrupt);
          return;
        case 'countdown':
          status ??= countdown(io, e.requestId, () => e.until);
          return;
        case 'arm':
          if (timer !== undefined) clearTimeout(timer);
          timer = setTimeout(() => dispatch({ type: 'timeout' }), Math.max(0, e.at - Date.now()));
          return;
        case 'release':
          if (timer !== undefined) clearTimeout(timer);
          timer = undefined;
          process.off('SIGINT', onInterrupt);
          status?.stop();
          status = undefined;
          return;
        case 'send': {
          const mine = ++sent;
          const body: ExecMessage = e.attach === undefined ? msg : { ...msg, attach: e.attach };
          try {
            client.send(body, (m: DaemonMessage) => {
              if (mine === sent) dispatch({ type: 'frame', message: m, now: Date.now() });
            });
          } catch (err) {
            dispatch({
              type: 'closed',
              error: err instanceof Error ? err : new DaemonConnectionError(String(err), undefined),
            });
          }
          return;
        }
        case 'fetch_context':
          if (fullMessage === undefined) return dispatch({ type: 'context_failed', error: new Error('no context') });
          fullMessage(e.env).then(
            (full) => {
              msg = full;
              dispatch({ type: 'context_ready' });
            },
            (err: unknown) =>
              dispatch({ type: 'context_failed', error: err instanceof Error ? err : new Error(String(err)) }),
          );
          return;
        case 'reconnect':
          reconnect(io.env, e.until === undefined ? RECONNECT_MS : Math.max(0, e.until - Date.now())).then(
            (again) => {
              if (again === undefined) return dispatch({ type: 'reconnect_failed' });
              client = again;
              watch(again);
              dispatch({ type: 'reconnected' });
            },
            () => dispatch({ type: 'reconnect_failed' }),
          );
          return;
        case 'close':
          client.close();
          return;
        case 'run':
          return resolve({ client, ...e.go });
        case 'fail':
          return reject(e.error);
      }
    };
    let state: FlowState;
    const queue: FlowEvent[] = [];
    let busy = false;
    /** Events are handled one at a time, in order, even when an effect reports one at once. */
    const drain = (): void => {
      if (busy) return;
      busy = true;
      try {
        for (let ev = queue.shift(); ev !== undefined; ev = queue.shift()) {
          const step = stepFlow(state, ev);
          state = step.state;
          for (const effect of step.effects) perform(effect);
        }
      } finally {
        busy = false;
      }
    };
    function dispatch(event: FlowEvent): void {
      queue.push(event);
      drain();
    }
    const start = startFlow({
      noWait: msg.noWait === true,
      mayFetchContext: fullMessage !== undefined && msg.partialContext === true,
      deadline: localDeadline,
    });
    state = start.state;
    busy = true;
    try {
      watch(client);
      for (const effect of start.effects) perform(effect);
    } finally {
      busy = false;
    }
    drain();
  });
}
