/** `guard daemon start|stop|status`. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { guardPaths } from '../../config/paths.js';
import { FailClosedError } from '../../errors.js';
import { DaemonClient, DaemonReplyError } from '../../daemon/client.js';
import { DaemonStartError, joinStartingDaemon, lockHolder, spawnDaemon } from '../../daemon/launch.js';
import { pidAlive } from '../../daemon/progress.js';
import { ask } from '../../daemon/replies.js';
import { writeLine, type Io } from '../io.js';
import { runForeground, startArgs } from './daemon-foreground.js';
import type { DaemonStartOptions, DaemonStatusOptions } from '../specs/daemon.js';

async function tryConnect(env: NodeJS.ProcessEnv): Promise<DaemonClient | undefined> {
  try {
    return await DaemonClient.connect(guardPaths(env).socket, 1000);
  } catch {
    return undefined;
  }
}

export async function daemonStart(io: Io, opts: DaemonStartOptions): Promise<number> {
  const { policyFiles, mode } = startArgs(io, opts);
  if (opts.foreground === true) return runForeground(io, policyFiles, mode);
  const existing = await tryConnect(io.env);
  if (existing !== undefined) {
    const status = await ask(existing, { type: 'status' }).finally(() => existing.close());
    writeLine(io.stderr, `guard: the daemon is already running (pid ${status.pid}) on ${status.socket}`);
    return 0;
  }
  const extra = [
    ...(policyFiles ?? []).flatMap((f) => ['--policy', f]),
    ...(mode === undefined ? [] : ['--socket-mode', mode.toString(8)]),
  ];
  const paths = guardPaths(io.env);
  try {
    const pid = await spawnDaemon(io.env, extra);
    writeLine(io.stderr, `guard: daemon started (pid ${pid}); socket ${paths.socket}; log ${paths.logFile}`);
    return 0;
  } catch (err) {
    // another client started one at the same moment (it holds the lock): that one is the daemon
    const holder = lockHolder(io.env);
    if (!(err instanceof DaemonStartError) || err.why !== 'exited' || holder === undefined) throw err;
    const client = await joinStartingDaemon(io.env, holder);
    const status = await ask(client, { type: 'status' }).finally(() => client.close());
    writeLine(io.stderr, `guard: the daemon is already running (pid ${status.pid}) on ${status.socket}`);
    return 0;
  }
}

export async function daemonStop(io: Io): Promise<number> {
  let client = await tryConnect(io.env);
  if (client === undefined) {
    // a daemon still starting holds the lock: wait until it serves, then stop it (stopping it
    // half-way would leave the next command to start another)
    const starting = lockHolder(io.env);
    if (starting === undefined || !pidAlive(starting)) {
      writeLine(io.stderr, 'guard: no daemon is running');
      return 0;
    }
    writeLine(io.stderr, `guard: the daemon (pid ${starting}) is starting; stopping it once it is up`);
    try {
      client = await joinStartingDaemon(io.env, starting);
    } catch (err) {
      if (err instanceof DaemonStartError && err.why === 'exited') {
        writeLine(io.stderr, 'guard: the starting daemon exited by itself; no daemon is running');
        return 0;
      }
      throw err;
    }
  }
  const closed = new Promise<void>((resolve) => client.onClose(() => resolve()));
  const { pid } = await ask(client, { type: 'shutdown' }).catch((err: unknown) => {
    client.close();
    if (err instanceof DaemonReplyError) throw new FailClosedError(err.message, { hint: err.hint });
    throw err;
  });
  const lock = join(guardPaths(io.env).runDir, 'daemon.pid');
  const deadline = Date.now() + 10_000;
  await closed;
  // the daemon releases its lock file as its very last step
  while (existsSync(lock) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (existsSync(lock)) throw new FailClosedError(`the daemon (pid ${pid}) did not stop within 10 s`);
  writeLine(io.stderr, `guard: daemon stopped (pid ${pid})`);
  return 0;
}

export async function daemonStatus(io: Io, opts: DaemonStatusOptions): Promise<number> {
  const paths = guardPaths(io.env);
  const client = await tryConnect(io.env);
  if (client === undefined) {
    if (opts.json === true) writeLine(io.stdout, JSON.stringify({ running: false, socket: paths.socket }));
    throw new FailClosedError(`no daemon is running on ${paths.socket}`, {
      hint: 'start it with `guard daemon start`',
    });
  }
  const s = await ask(client, { type: 'status' }).finally(() => client.close());
  if (opts.json === true) {
    writeLine(io.stdout, JSON.stringify({ running: true, ...s }));
    return 0;
  }
  const lines = [
    `running      pid ${s.pid}, guard ${s.version}, since ${s.startedAt}`,
    `socket       ${s.socket}`,
    `policy       ${s.policy.digest.slice(0, 16)} from ${s.policy.files.length} file(s)${s.policy.lastError ? `; last reload FAILED: ${s.policy.lastError}` : ''}`,
    `requests     ${s.requests.pending} pending, ${s.requests.needsInfo} needs info, ${s.requests.grants} usable grant(s)`,
    `channels     ${s.channels.length === 0 ? 'none configured (approve with `guard approve ID`)' : s.channels.map((c) => `${c.name} ${c.ok ? 'ok' : 'FAILING'} (${c.detail})`).join('; ')}`,
  ];
  writeLine(io.stdout, lines.join('\n'));
  return 0;
}
