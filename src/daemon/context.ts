/**
 * Everything a handler may use, built once by startDaemon (no module-level state).
 */
import type { ApproverRecord } from '../approval/types.js';
import type { Channel, RequestView } from '../channels/types.js';
import type { Ledger } from '../ledger/index.js';
import type { Decision, PolicyRequest } from '../policy/types.js';
import type { IntentCache } from './intent.js';
import type { Logger } from './log.js';
import type { RequestMachine } from './machine.js';
import type { LoadedPolicy, PolicyHost } from './policy-host.js';
import type { StoredRequest } from './record.js';
import type { Conn } from './server.js';
import type { RequestStore } from './store.js';

/** Something waiting on one request: an exec client or `guard wait`. */
export interface Waiter {
  conn: Conn;
  /** Called after every committed change of the request. */
  onChange(r: StoredRequest): void;
  /** True for exec clients that cancel the request when they go away. */
  holdsRequest: boolean;
}

export interface DaemonContext {
  env: NodeJS.ProcessEnv;
  home: string;
  socket: string;
  version: string;
  startedAt: string;
  store: RequestStore;
  machine: RequestMachine;
  policy: PolicyHost;
  evaluate(req: PolicyRequest, policy: LoadedPolicy['policy']): Decision;
  /** evaluate, with large commands judged off the main loop (src/daemon/judge-pool.ts). */
  judge(req: PolicyRequest, loaded: LoadedPolicy): Promise<Decision>;
  ledger: Ledger;
  channels: Channel[];
  approvers(): ApproverRecord[];
  log: Logger;
  now(): Date;
  waiters: Map<string, Set<Waiter>>;
  subscribers: Set<{ conn: Conn; re: number }>;
  /** Running commands: execId → request id (for exec_end). */
  execs: Map<string, string>;
  /** Running commands: execId → the verified uid told to run it (only its own exec_end counts). */
  execOwners: Map<string, number | undefined>;
  /** The daemon's own uid: a peer with it (or root) is the owner (src/daemon/scope.ts). */
  ownerUid: number | undefined;
  /** Set while shutting down: connections closing then must not cancel requests. */
  stopping: boolean;
  /** Ask the daemon to stop (after answering). */
  shutdown(): void;
  /** False when the socket is shared with a group (hardened mode): only a signal stops the daemon. */
  shutdownOverSocket: boolean;
  /** Agent-supplied intent of recent hook checks, for the requests their rewrites raise. */
  intents: IntentCache;
  /** Tell channels about a new request. */
  notifyChannels(view: RequestView): void;
}

export function addWaiter(ctx: DaemonContext, requestId: string, w: Waiter): void {
  let set = ctx.waiters.get(requestId);
  if (set === undefined) {
    set = new Set();
    ctx.waiters.set(requestId, set);
  }
  set.add(w);
  w.conn.onClose(() => removeWaiter(ctx, requestId, w));
}

export function removeWaiter(ctx: DaemonContext, requestId: string, w: Waiter): void {
  const set = ctx.waiters.get(requestId);
  if (set === undefined) return;
  set.delete(w);
  if (set.size === 0) ctx.waiters.delete(requestId);
}

export function holders(ctx: DaemonContext, requestId: string): number {
  let n = 0;
  for (const w of ctx.waiters.get(requestId) ?? []) if (w.holdsRequest && !w.conn.closed) n++;
  return n;
}
