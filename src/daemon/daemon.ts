/**
 * startDaemon: wire the socket server, policy, ledger, request store, state machine and channels.
 * Start-up order matters: lock, policy (a broken policy refuses to start), ledger, store, restore
 * pending requests, channels, then listen and announce readiness.
 */
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadApprovers } from '../approval/registry.js';
import { guardPaths, type GuardPaths } from '../config/paths.js';
import { openLedger, type Ledger } from '../ledger/index.js';
import { createEngine, evaluateWithScripts, openExampleCache } from '../policy/index.js';
import { JudgePool } from './judge-pool.js';
import { FailClosedError, messageOf } from '../errors.js';
import { VERSION } from '../version.js';
import { channelDecide, hubSignedDecide } from './handlers/decide.js';
import { channelExtend, channelView } from './channel-extend.js';
import { liveGrants } from './channel-grants.js';
import { channelRevoke } from './channel-revoke.js';
import { approverOf, pendingRequests } from './shown-view.js';
import { fanOut, startChannels } from './channels-host.js';
import { holders, type DaemonContext } from './context.js';
import { IntentCache } from './intent.js';
import { makeHandlers } from './handlers/index.js';
import { connectionLimits } from './limits.js';
import { fileLogger, type Logger } from './log.js';
import { RequestMachine } from './machine.js';
import { loadFor, PolicyHost } from './policy-host.js';
import { acquireLock, checkSocketPath, clearStaleSocket, ensureRunDir, type DaemonLock } from './runtime.js';
import { loadPeerCred, peerReader } from './peer.js';
import { mayRead, scopeOf } from './scope.js';
import { createDaemonServer } from './server.js';
import { RequestStore } from './store.js';
import { isOpen, type StoredRequest } from './record.js';
import type { Channel } from '../channels/types.js';
import { ruleDigests } from '../evidence/rule-digests.js';
import { dropUnapproved } from '../preview/saved-plan.js';

/** How long a waiting client has to re-attach after a daemon restart before its request is cancelled. */
export const REATTACH_GRACE_MS = 10_000;

export interface DaemonOptions {
  env: NodeJS.ProcessEnv;
  /** Explicit policy files (replace the layered search when given). */
  policyFiles?: string[] | undefined;
  /** Mode of the socket file (default 0600; hardened mode shares it with a group). */
  socketMode?: number | undefined;
  /** Also write log lines here (foreground). */
  echo?: NodeJS.WritableStream | undefined;
  /** Told each start-up step as it begins (the launcher judges progress by them). */
  progress?: ((step: string) => void) | undefined;
  /** How the daemon's code was loaded (src/boot/daemon-bundle.ts); the start-up line says it. */
  loaded?: string | undefined;
}

export interface DaemonHandle {
  paths: GuardPaths;
  /** The daemon's ledger (tests inject failures by closing it). */
  ledger: Ledger;
  /** Resolves when the daemon has stopped. */
  closed: Promise<void>;
  stop(reason: string): Promise<void>;
  /** Resolves when the rule examples the example cache vouched for have been judged again. */
  examplesChecked: Promise<void>;
}

/** After every committed change: waiters, subscribers that may read it, and channels (not for a new request). */
function announce(ctx: DaemonContext, r: StoredRequest): void {
  for (const w of [...(ctx.waiters.get(r.id) ?? [])]) w.onChange(r);
  for (const s of ctx.subscribers)
    if (mayRead(scopeOf(ctx, s.conn), r)) s.conn.event(s.re, { event: 'update', view: r.view });
  if (r.updatedAt !== r.createdAt) fanOut(ctx.channels, channelView(r, ctx.now()), 'update', ctx.ledger, ctx.log);
  // a saved terraform plan no approval can apply any more is removed (decision 1086)
  try {
    dropUnapproved(ctx.home, r);
  } catch (err) {
    ctx.log.warn(`saved plan of ${r.id}: ${messageOf(err)}`);
  }
}

/** CPU time this process has used so far (start-up cost, in the log for anyone measuring it). */
function startCpuMs(): number {
  const u = process.cpuUsage();
  return Math.round((u.user + u.system) / 1000);
}

/** Where the start-up CPU went: "loading N, engine N, …" (each step's share, all threads counted). */
function cpuByStep(marks: [string, number][], end: number): string {
  return marks.map(([name, at], i) => `${name} ${(marks[i + 1]?.[1] ?? end) - at}`).join(', ');
}

export async function startDaemon(opts: DaemonOptions): Promise<DaemonHandle> {
  // node, the CLI and the daemon's modules, loaded before this runs
  const cpuMarks: [string, number][] = [['loading', 0]];
  const paths = guardPaths(opts.env);
  checkSocketPath(paths.socket);
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  ensureRunDir(paths.runDir);
  // GUARD_SOCKET may put the socket elsewhere (hardened mode: a group-shared directory): same checks
  if (dirname(paths.socket) !== paths.runDir) ensureRunDir(dirname(paths.socket));
  const log = fileLogger(paths.logFile, opts.echo);
  opts.progress?.('lock');
  const lock = await acquireLock(join(paths.runDir, 'daemon.pid'), paths.socket);
  const cleanup: (() => void | Promise<void>)[] = [() => lock.release()];
  try {
    return await boot(opts, paths, log, lock, cleanup, cpuMarks);
  } catch (err) {
    log.error(`start failed: ${messageOf(err)}`);
    for (const f of cleanup.reverse()) await f();
    throw err;
  }
}

async function boot(
  opts: DaemonOptions,
  paths: GuardPaths,
  log: Logger,
  _lock: DaemonLock,
  cleanup: (() => void | Promise<void>)[],
  cpuMarks: [string, number][],
): Promise<DaemonHandle> {
  await clearStaleSocket(paths.socket);
  // the user policy layer is watched; it must exist to be watched (a file added later is then seen)
  if (opts.policyFiles === undefined) mkdirSync(paths.policyDir, { recursive: true, mode: 0o700 });
  const step = (name: string): void => {
    cpuMarks.push([name, startCpuMs()]);
    opts.progress?.(name);
  };
  step('engine');
  const engine = await createEngine();
  const exampleCache = openExampleCache(opts.env);
  step('policy');
  // the base policy first: the ledger records its digest when it opens
  const base = await loadFor({ env: opts.env, files: opts.policyFiles, engine, exampleCache }, paths.home);
  step('ledger');
  const ledger = await openLedger({
    path: paths.ledgerDb,
    env: opts.env,
    guardVersion: VERSION,
    policyDigest: base.digest,
    policyRules: ruleDigests(base.policy),
    writerThread: true,
    warn: (m) => log.warn(m),
  });
  cleanup.push(() => ledger.close());
  const policy = new PolicyHost({
    env: opts.env,
    files: opts.policyFiles,
    baseCwd: paths.home,
    watchDirs: [paths.policyDir],
    engine,
    exampleCache,
    // a cache that vouched for a policy whose examples fail was wrong (or forged): refuse to go on
    // with that policy, as a start without the cache would have (examples are judged once serving)
    onExamplesFailed: () => void stop('the policy examples failed when judged again (see above)'),
    ledger,
    log,
  });
  await policy.start(base);
  cleanup.push(() => policy.stop());
  await policy.recordIgnored(base);
  step('store');
  const store = new RequestStore(paths.stateDb);
  cleanup.push(() => store.close());

  let channels: Channel[] = [];
  const machine = new RequestMachine({
    store,
    ledger,
    now: () => ctx.now(),
    approvers: () => ctx.approvers(),
    onChange: (r) => announce(ctx, r),
    onError: (e, c) => log.error(`${c}: ${messageOf(e)}`),
  });
  // large commands are judged off the main loop, in a worker (decision 0025)
  const judges = new JudgePool((req, p) => evaluateWithScripts(engine, req, p), log);
  cleanup.push(() => judges.stop());
  const ctx: DaemonContext = {
    env: opts.env,
    home: paths.home,
    socket: paths.socket,
    version: VERSION,
    startedAt: new Date().toISOString(),
    store,
    machine,
    policy,
    // script files a line runs are read here, at decision time, and judged (decision 0125)
    evaluate: (req, p) => evaluateWithScripts(engine, req, p),
    judge: (req, loaded) => judges.judge(req, loaded),
    ledger,
    get channels() {
      return channels;
    },
    approvers: () => loadApprovers(paths.approversDir),
    log,
    now: () => new Date(),
    waiters: new Map(),
    subscribers: new Set(),
    execs: new Map(),
    execOwners: new Map(),
    ownerUid: process.getuid?.(),
    stopping: false,
    shutdown: () => undefined,
    shutdownOverSocket: ((opts.socketMode ?? 0o600) & 0o077) === 0,
    notifyChannels: (view) => fanOut(channels, view, 'notify', ledger, log),
    intents: new IntentCache(),
  };
  cleanup.push(() => machine.stop());
  const restored = machine.restore((r) => {
    setTimeout(() => {
      const current = store.get(r.id);
      if (ctx.stopping || current === undefined || !isOpen(current) || holders(ctx, r.id) > 0) return;
      machine
        .cancel(r.id, 'the requester did not come back after a daemon restart')
        .catch((e: unknown) => log.error(`cancel ${r.id}: ${messageOf(e)}`));
    }, REATTACH_GRACE_MS).unref();
  });
  step('channels');
  channels = await startChannels(
    paths.configFile,
    opts.env,
    {
      decide: (d) => channelDecide(ctx, d),
      pending: (only) => pendingRequests(ctx.store, only),
      whoIs: (identity) => approverOf(ctx, identity),
      decideSigned: (signed) => hubSignedDecide(ctx, signed),
      extend: (e) => channelExtend(ctx, e),
      grants: () => liveGrants(ctx),
      revoke: (e) => channelRevoke(ctx, e),
      approverKeys: () =>
        ctx.approvers().map((a) => ({
          name: a.name,
          publicKey: a.publicKey,
          ...(a.idp === undefined ? {} : { idp: { subject: a.idp.subject, issuer: a.idp.issuer } }),
        })),
      log: (e) =>
        log[e.level === 'error' ? 'error' : e.level === 'warn' ? 'warn' : 'info'](`channel ${e.channel}: ${e.message}`),
    },
    log,
    ledger,
  );
  cleanup.push(async () => {
    for (const ch of channels) await ch.stop().catch(() => undefined);
  });
  for (const r of store.live()) if (isOpen(r)) fanOut(channels, r.view, 'notify', ledger, log);

  // A socket shared with a group is reached by other users: know each one from the kernel, or refuse.
  const shared = !ctx.shutdownOverSocket;
  const cred = loadPeerCred();
  if (cred instanceof Error) {
    if (shared)
      throw new FailClosedError(`${cred.message}; a daemon sharing its socket must know who connects`, {
        hint: 'run `npm run build` in the guard checkout (it needs a C compiler) and start the daemon again',
      });
    log.warn(`${cred.message}; single-user mode: every peer is taken to be this user`);
  }
  step('listen');
  const { server, closeAll } = createDaemonServer({
    peerOf: cred instanceof Error ? undefined : peerReader(cred),
    requirePeer: shared,
    handlers: makeHandlers(ctx),
    onError: (e, c) => log.error(`${c}: ${messageOf(e)}`),
    limits: connectionLimits(opts.env),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(paths.socket, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(paths.socket, opts.socketMode ?? 0o600);
  server.on('error', (e) => log.error(`server: ${e.message}`));
  cleanup.push(() => rmSync(paths.socket, { force: true }));
  const cpu = startCpuMs();
  log.info(
    `daemon ${VERSION} pid ${process.pid} listening on ${paths.socket}; policy ${base.digest}; ${restored} open request(s) restored; channels: ${channels.map((c) => c.name).join(', ') || 'none'}; start-up took ${cpu} ms of CPU (${cpuByStep(cpuMarks, cpu)}); code: ${opts.loaded ?? 'ES modules'}`,
  );

  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let stopping: Promise<void> | undefined;
  function stop(reason: string): Promise<void> {
    stopping ??= (async () => {
      ctx.stopping = true;
      log.info(`stopping: ${reason}`);
      server.close();
      closeAll();
      // the lock is released last: `guard daemon stop` waits for the lock file to go
      const steps = cleanup.reverse();
      for (const [i, f] of steps.entries()) {
        if (i === steps.length - 1) log.info('stopped');
        try {
          await f();
        } catch (err) {
          log.error(`shutdown step failed: ${messageOf(err)}`);
        }
      }
      resolveClosed();
    })();
    return stopping;
  }
  ctx.shutdown = () => void stop('shutdown requested over the socket');
  const examplesChecked = policy.startServing();
  return { paths, ledger, closed, stop, examplesChecked };
}
