/**
 * Enforced mode's executor (docs/decisions/1020-enforced-executor.md): a command whose matching
 * rules name `credentials` is run by the daemon, not by the client, as a dedicated runner user
 * (GUARD_RUNNER_USER), with the exact approved argv, the program from a trusted PATH (root-owned
 * directories only), an environment the daemon builds (allow-listed client variables, bound into
 * the fingerprint, plus the credentials) and file credentials in a private directory for one run.
 * stdin, stdout and stderr are three more connections of the same client (`exec_stream`, with the
 * offer's token) that the command receives as its own fds: the daemon relays and buffers no stdio
 * byte (decision 1027). Signals travel as `exec_signal`; the daemon records `executor_start` (which credentials, which versions) before
 * the spawn and `exec_end` after it.
 *
 * The runner is entered through setpriv (util-linux): the daemon holds CAP_SETUID, CAP_SETGID,
 * CAP_KILL and CAP_CHOWN as ambient capabilities, and setpriv drops every one of them (and every
 * supplementary group, with no_new_privs) before it execs the command.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { CredentialStore, type CredentialMeta } from '../credentials/store.js';
import type { Decision } from '../policy/types.js';
import { heldPlan } from '../preview/saved-plan.js';
import type { DaemonContext } from './context.js';
import type { Socket } from 'node:net';
import type { ClientMessage, ExecMessage, ExecutorEvent, ExecutorRun } from './messages.js';
import { ReplyError, type Conn } from './server.js';

/** What the executor needs to run one command, fixed when the daemon decided it. */
export interface ExecutorPlan {
  credentials: string[];
  argv: string[];
  cwd: string;
  /** sha256 hex of each client variable's value, as bound into the fingerprint (full context). */
  envHashes: Record<string, string> | undefined;
  /**
   * Apply exactly this saved Terraform plan instead (decision 1110): the daemon's own file, the
   * digest the approval signed, and the argv that applies it (its last element is that file).
   */
  savedPlan?: { path: string; sha256: string; argv: string[] } | undefined;
}

type StreamName = 'stdin' | 'stdout' | 'stderr';

interface Pending {
  plan: ExecutorPlan;
  requestId: string;
  conn: Conn;
  /** Shown only to the client told to run: its stream connections must present it. */
  token: string;
  /** The client's stream connections, handed over by the server (the command's fds 0, 1, 2). */
  streams: Partial<Record<StreamName, Socket>>;
  /** Called once when the run ends (before its exec_end), or when the client goes away before it started. */
  onEnd?: (() => Promise<void>) | undefined;
}

interface Running {
  child: ChildProcess;
  conn: Conn;
  terminated: boolean;
}

interface ExecutorState {
  store: Promise<CredentialStore> | undefined;
  pending: Map<string, Pending>;
  running: Map<string, Running>;
}

const states = new WeakMap<DaemonContext, ExecutorState>();

function stateOf(ctx: DaemonContext): ExecutorState {
  let s = states.get(ctx);
  if (s === undefined) {
    s = { store: undefined, pending: new Map(), running: new Map() };
    states.set(ctx, s);
  }
  return s;
}

/** The daemon's credential store, opened once. */
export function credentialStore(ctx: DaemonContext): Promise<CredentialStore> {
  const s = stateOf(ctx);
  s.store ??= CredentialStore.open(ctx.env);
  s.store.catch(() => (s.store = undefined));
  return s.store;
}

export const DEFAULT_EXECUTOR_PATH = '/usr/local/bin:/usr/bin:/bin';
export const DEFAULT_EXECUTOR_ENV = ['LANG', 'LC_ALL', 'LC_CTYPE', 'TERM', 'TZ'];

export interface ExecutorConfig {
  runner: string | undefined;
  /** Client variables the command may receive (their values are bound into the fingerprint). */
  envNames: string[];
  path: string;
  tmp: string;
}

/** From the daemon's own environment (the service unit), never from a client. */
export function executorConfig(env: NodeJS.ProcessEnv): ExecutorConfig {
  const list = (v: string | undefined): string[] | undefined =>
    v === undefined || v === ''
      ? undefined
      : v
          .split(',')
          .map((s) => s.trim())
          .filter((s) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s));
  const runner = env['GUARD_RUNNER_USER'];
  return {
    runner: runner === undefined || runner === '' ? undefined : runner,
    envNames: list(env['GUARD_EXECUTOR_ENV']) ?? DEFAULT_EXECUTOR_ENV,
    path: env['GUARD_EXECUTOR_PATH'] || DEFAULT_EXECUTOR_PATH,
    tmp: env['GUARD_EXECUTOR_TMP'] || '/tmp',
  };
}

/** Names bound into every fingerprint when the daemon has an executor: what it may pass on. */
export function executorEnvNames(env: NodeJS.ProcessEnv): string[] {
  const c = executorConfig(env);
  return c.runner === undefined ? [] : c.envNames;
}

const refuse = (message: string, hint?: string): ReplyError => new ReplyError('refused', message, hint);

/**
 * The executor plan for a decided command: undefined when no matching rule names credentials.
 * Throws `refused` (before anything is recorded) when such a command cannot be executed safely.
 */
export function executorPlan(
  ctx: DaemonContext,
  msg: Pick<ExecMessage, 'argv' | 'rawArgvB64' | 'cwd' | 'binding' | 'env' | 'partialContext'>,
  decision: Decision,
): ExecutorPlan | undefined {
  if (decision.effect === 'deny') return undefined;
  const names = [...new Set(decision.matches.flatMap((m) => m.credentials ?? []))].sort();
  if (names.length === 0) return undefined;
  const rules = decision.matches.filter((m) => m.credentials !== undefined).map((m) => m.ruleId);
  if (executorConfig(ctx.env).runner === undefined)
    throw refuse(
      `rule ${rules.join(', ')} gives this command credentials, but this daemon has no executor (GUARD_RUNNER_USER is not set); nothing was run`,
      'an administrator sets up enforced mode (docs/deployment.md)',
    );
  const cmd = decision.commands[0];
  if (
    decision.commands.length !== 1 ||
    decision.unresolved.length > 0 ||
    cmd === undefined ||
    cmd.via.length > 0 ||
    Object.keys(cmd.assignments).length > 0 ||
    msg.rawArgvB64 !== undefined
  )
    throw refuse(
      `a command that receives credentials (rule ${rules.join(', ')}) must be one plain program with its arguments: no shell, wrapper, assignment or non-UTF-8 argument; nothing was run`,
      'run the program directly: guard exec -- psql -c "select 1"',
    );
  // The environment the executor passes on must be the one judged: without a binding any value
  // would pass (a quick request is answered with need_context before this plan is used).
  if (msg.partialContext !== true) {
    if (msg.binding === undefined)
      throw refuse('a command that receives credentials must carry its environment binding; nothing was run');
    for (const [name, value] of Object.entries(msg.env ?? {}))
      if (msg.binding.env[name] !== sha256(value))
        throw refuse(`${name} was judged with a value its binding does not carry; nothing was run`);
  }
  return { credentials: names, argv: msg.argv, cwd: msg.cwd, envHashes: msg.binding?.env };
}

/**
 * Called where the daemon tells a client to run: for an executor plan, remember it for this
 * connection and return what the answer carries.
 */
export function executorOffer(
  ctx: DaemonContext,
  conn: Conn,
  execId: string,
  requestId: string,
  plan: ExecutorPlan | undefined,
  onEnd?: () => Promise<void>,
): { executor?: ExecutorRun } {
  if (plan === undefined) return {};
  const s = stateOf(ctx);
  const token = randomBytes(16).toString('hex');
  const pending: Pending = { plan, requestId, conn, token, streams: {}, onEnd };
  s.pending.set(execId, pending);
  conn.onClose(() => {
    if (!s.pending.delete(execId)) return;
    closeStreams(pending);
    void pending.onEnd?.();
    ctx.execs.delete(execId);
    ctx.execOwners.delete(execId);
    ctx.ledger
      .append('exec_end', {
        requestId,
        execId,
        exitCode: null,
        signal: null,
        durationMs: 0,
        executor: { ran: false, reason: 'the client went away before the executor started the command' },
      })
      .catch((err: unknown) => ctx.log.error(`exec_end ${execId}: ${(err as Error).message}`));
  });
  return { executor: { env: executorConfig(ctx.env).envNames, token } };
}

/** The daemon's copies of the stream sockets (the command holds its own after the spawn). */
function closeStreams(p: Pending): void {
  for (const sock of Object.values(p.streams)) sock.destroy();
}

type StreamMessage = Extract<ClientMessage, { type: 'exec_stream' }>;

/**
 * One of the three extra connections of a client told to run in the executor: answered with null,
 * then taken from the message server; the command gets it as its stdin, stdout or stderr. Only the
 * same user, with the offer's token, before exec_run.
 */
export function handleExecStream(ctx: DaemonContext, conn: Conn, msg: StreamMessage & { id: number }): void {
  const p = stateOf(ctx).pending.get(msg.execId);
  const given = Buffer.from(msg.token);
  const ok =
    p !== undefined &&
    given.length === p.token.length &&
    timingSafeEqual(given, Buffer.from(p.token)) &&
    // a connection whose peer the kernel did not name never matches, not even another such one
    conn.peer !== undefined &&
    conn.peer.uid === p.conn.peer?.uid &&
    p.streams[msg.stream] === undefined;
  if (!ok) throw new ReplyError('not_found', `no command ${msg.execId} waiting for its ${msg.stream}`);
  conn.result(msg.id, null);
  p.streams[msg.stream] = conn.detach();
}

export interface Runner {
  user: string;
  uid: number;
  gid: number;
  home: string;
}

export function runnerOf(ctx: DaemonContext, name: string): Runner {
  const r = spawnSync('getent', ['passwd', name], { encoding: 'utf8' });
  const f = r.status === 0 ? r.stdout.trim().split(':') : [];
  const uid = Number(f[2]);
  const gid = Number(f[3]);
  if (f.length < 7 || !Number.isInteger(uid) || !Number.isInteger(gid))
    throw new ReplyError('fail_closed', `the runner user ${name} (GUARD_RUNNER_USER) does not exist; nothing was run`);
  if (uid === 0 || uid === ctx.ownerUid)
    throw new ReplyError(
      'fail_closed',
      `the runner user ${name} must be neither root nor the daemon's own user; nothing was run`,
    );
  return { user: name, uid, gid, home: f[5] ?? '/' };
}

/**
 * Root-owned and writable by nobody else: the file and its directory. Higher directories may also
 * be root-owned sticky ones (/tmp): others can add entries there but not rename root's.
 */
export function trusted(path: string): boolean {
  for (let p = path, depth = 0; ; p = dirname(p), depth++) {
    let st;
    try {
      st = statSync(p);
    } catch {
      return false;
    }
    const sticky = (st.mode & 0o1000) !== 0 && st.isDirectory();
    if (st.uid !== 0 || ((st.mode & 0o022) !== 0 && !(depth >= 2 && sticky))) return false;
    if (p === '/') return true;
  }
}

/** The program from the trusted PATH (or an absolute path that is itself trusted). */
export function trustedProgram(file: string, path: string): string | undefined {
  const candidates = file.includes('/')
    ? [file]
    : path
        .split(':')
        .filter((d) => d.startsWith('/'))
        .map((d) => join(d, file));
  for (const c of candidates) {
    let real: string;
    try {
      real = realpathSync(c);
      const st = statSync(real);
      if (!st.isFile() || (st.mode & 0o111) === 0) continue;
    } catch {
      continue;
    }
    // run it by the name found (multi-call programs and wrappers look at their own name)
    if (trusted(real) && trusted(dirname(c))) return c;
  }
  return undefined;
}

/** setpriv's arguments that enter the runner: its uid and primary gid, no other group, no capability. */
export const asRunner = (r: Runner): string[] => [
  `--reuid=${r.uid}`,
  `--regid=${r.gid}`,
  '--clear-groups',
  '--inh-caps=-all',
  '--no-new-privs',
  '--',
];

/**
 * Whether the runner may enter and read dir, asked of the kernel as the runner itself (`test -d -r
 * -x` under setpriv): every directory above, ACLs and the daemon's own access play no part
 * (decision 1024). The command then enters it as the runner too (`env --chdir`).
 */
export function runnerMayRead(dir: string, r: Runner, path: string): Promise<boolean> {
  const test = trustedProgram('test', path);
  if (test === undefined || !dir.startsWith('/')) return Promise.resolve(false);
  return new Promise((resolve) => {
    const child = spawn('setpriv', [...asRunner(r), test, '-d', dir, '-a', '-r', dir, '-a', '-x', dir], {
      cwd: '/',
      env: {},
      stdio: 'ignore',
    });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

type ExecRunMessage = Extract<ClientMessage, { type: 'exec_run' }>;

export interface Received {
  meta: CredentialMeta;
  value: Buffer;
  expiresAt?: string | undefined;
}

/** Mint a short-lived token: the stored value is the absolute path of a trusted program. */
function mint(ctx: DaemonContext, c: CredentialMeta, program: Buffer): Promise<Received> {
  const path = program.toString('utf8').trim();
  if (!path.startsWith('/') || trustedProgram(path, '') === undefined)
    return Promise.reject(
      new ReplyError(
        'fail_closed',
        `the mint program of credential ${c.name} is not a trusted absolute path; nothing was run`,
      ),
    );
  const ttl = c.ttlSeconds ?? 900;
  return new Promise((resolve, reject) => {
    const child = spawn(path, [], {
      env: { PATH: DEFAULT_EXECUTOR_PATH, GUARD_MINT_TTL: String(ttl), GUARD_CREDENTIAL: c.name },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', () => undefined);
    child.on('error', (err) => reject(new ReplyError('fail_closed', `minting ${c.name} failed: ${err.message}`)));
    child.on('close', (code) => {
      const token = Buffer.concat(out).toString('utf8').split('\n')[0] ?? '';
      if (code !== 0 || token === '')
        return reject(
          new ReplyError('fail_closed', `minting credential ${c.name} failed (exit ${code}); nothing was run`),
        );
      resolve({
        meta: c,
        value: Buffer.from(token),
        expiresAt: new Date(ctx.now().getTime() + ttl * 1000).toISOString(),
      });
    });
  });
}

/** The values of the named credentials from the store (a mint credential minted now). */
export async function receiveCredentials(ctx: DaemonContext, names: readonly string[]): Promise<Received[]> {
  const store = await credentialStore(ctx);
  const received: Received[] = [];
  for (const name of names) {
    const meta = store.get(name);
    const value = meta === undefined ? undefined : await store.value(meta);
    if (meta === undefined || value === undefined)
      throw new ReplyError(
        'fail_closed',
        `credential ${name} is not in guard's store; nothing was run`,
        'add it with `guard credential add`',
      );
    received.push(meta.kind === 'mint' ? await mint(ctx, meta, value) : { meta, value });
  }
  return received;
}

/** What the ledger keeps of credentials handed to a run: name, kind, version, salted hash, expiry. */
export function credentialRecords(received: readonly Received[]) {
  return received.map((r) => ({
    name: r.meta.name,
    kind: r.meta.kind,
    version: r.meta.version,
    ...(r.meta.kind === 'mint'
      ? { hash: createHash('sha256').update(Buffer.from(r.meta.salt, 'hex')).update(r.value).digest('hex') }
      : { hash: r.meta.hash }),
    ...(r.expiresAt === undefined ? {} : { expiresAt: r.expiresAt }),
  }));
}

/**
 * A private directory for one run under GUARD_EXECUTOR_TMP: the daemon owns it (so it can remove
 * it, and only it can add, rename or remove entries), the runner's own group may enter and read it.
 */
export function runnerDir(runner: Runner, cfg: ExecutorConfig, prefix: string): string {
  const dir = mkdtempSync(join(cfg.tmp, prefix));
  try {
    chownSync(dir, process.getuid?.() ?? -1, runner.gid);
    chmodSync(dir, 0o750);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return dir;
}

/** A new file in a runnerDir, the daemon's, with `mode` for the runner's group (0440 read, 0660 write). */
export function runnerFile(dir: string, name: string, bytes: Buffer, runner: Runner, mode: number): string {
  const f = join(dir, name);
  writeFileSync(f, bytes, { mode: 0o600, flag: 'wx' });
  chownSync(f, process.getuid?.() ?? -1, runner.gid);
  chmodSync(f, mode);
  return f;
}

/**
 * Credentials into the command's environment: a variable's value, or a file credential's path in a
 * private directory for this run (returned: the caller removes it after the run).
 */
export function placeCredentials(
  received: readonly Received[],
  runner: Runner,
  cfg: ExecutorConfig,
  env: Record<string, string>,
): string | undefined {
  let dir: string | undefined;
  try {
    for (const r of received) {
      if (r.meta.kind !== 'file') {
        env[r.meta.target] = r.value.toString('utf8');
        continue;
      }
      dir ??= runnerDir(runner, cfg, 'guard-run-');
      env[r.meta.target] = runnerFile(dir, r.meta.target, r.value, runner, 0o440);
    }
  } catch (err) {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return dir;
}

/**
 * The saved plan a run applies (decision 1110): the daemon's file hashed now, and exactly the bytes
 * hashed copied into a private directory the runner may read and no one but the daemon may write.
 * A changed or missing plan refuses the run. Returns the directory (removed after the run) and the
 * argv that applies the copy.
 */
function placeSavedPlan(
  saved: NonNullable<ExecutorPlan['savedPlan']>,
  runner: Runner,
  cfg: ExecutorConfig,
): { dir: string; argv: string[] } {
  const held = heldPlan(saved.path, saved.sha256);
  if ('refused' in held) throw refuse(held.refused);
  if (saved.argv.at(-1) !== saved.path)
    throw refuse('the saved plan’s command does not name the plan; nothing was run');
  const dir = runnerDir(runner, cfg, 'guard-apply-');
  try {
    const copy = runnerFile(dir, basename(saved.path), held.bytes, runner, 0o440);
    return { dir, argv: [...saved.argv.slice(0, -1), copy] };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Terraform's working directory for `apply PLAN` (the cwd, or its -chdir), and its `.terraform`
 * where there is one (providers, modules, backend settings): the runner must enter and read them,
 * asked of the kernel as the runner (as decision 1024 asks for the cwd).
 */
function runnerMayApplyIn(cwd: string, argv: readonly string[], r: Runner): Promise<string | undefined> {
  const chdir = argv.find((a) => a.startsWith('-chdir='))?.slice('-chdir='.length);
  const dir = chdir === undefined ? cwd : resolve(cwd, chdir);
  const data = join(dir, '.terraform');
  const test = trustedProgram('test', DEFAULT_EXECUTOR_PATH);
  if (test === undefined) return Promise.resolve(dir);
  const expr = ['-d', dir, '-a', '-r', dir, '-a', '-x', dir, '-a', '(', '!', '-e', data, '-o'];
  expr.push('(', '-d', data, '-a', '-r', data, '-a', '-x', data, ')', ')');
  return new Promise((done) => {
    const child = spawn('setpriv', [...asRunner(r), test, ...expr], { cwd: '/', env: {}, stdio: 'ignore' });
    child.once('error', () => done(dir));
    child.once('exit', (code) => done(code === 0 ? undefined : dir));
  });
}

export async function handleExecRun(
  ctx: DaemonContext,
  conn: Conn,
  msg: ExecRunMessage & { id: number },
): Promise<void> {
  const s = stateOf(ctx);
  const p = s.pending.get(msg.execId);
  if (p === undefined || p.conn !== conn) throw new ReplyError('not_found', `no command ${msg.execId} to execute`);
  s.pending.delete(msg.execId);
  ctx.execs.delete(msg.execId);
  ctx.execOwners.delete(msg.execId);
  const { stdin, stdout, stderr } = p.streams;
  const started = performance.now();
  let planDir: string | undefined;
  let released = false;
  const release = async (): Promise<void> => {
    if (planDir !== undefined) rmSync(planDir, { recursive: true, force: true });
    planDir = undefined;
    if (!released) await p.onEnd?.();
    released = true;
  };
  // the run's own files go, then what it applied is released (a used-up saved plan removed), then exec_end
  const end = async (exitCode: number | null, signal: string | null, extra: Record<string, string | boolean>) => {
    await release();
    await ctx.ledger.append('exec_end', {
      requestId: p.requestId,
      execId: msg.execId,
      exitCode,
      signal,
      durationMs: Math.round(performance.now() - started),
      executor: { ...extra },
    });
  };
  const cfg = executorConfig(ctx.env);
  let dir: string | undefined;
  try {
    // the environment: only allow-listed client variables, each as bound into the approval
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(msg.env)) {
      if (!cfg.envNames.includes(name)) throw refuse(`the executor does not pass ${name} on; nothing was run`);
      if (p.plan.envHashes !== undefined && p.plan.envHashes[name] !== sha256(value))
        throw refuse(`${name} differs from the value the command was judged with; nothing was run`);
      env[name] = value;
    }
    if (p.plan.envHashes !== undefined)
      for (const name of cfg.envNames)
        if (p.plan.envHashes[name] !== undefined && env[name] === undefined)
          throw refuse(`${name} was bound into the approval but not sent; nothing was run`);
    if (stdin === undefined || stdout === undefined || stderr === undefined)
      throw refuse(
        'the command’s stdin, stdout and stderr connections did not arrive before exec_run; nothing was run',
      );
    const runner = runnerOf(ctx, cfg.runner!);
    const [file = ''] = p.plan.argv;
    const program = trustedProgram(file, cfg.path);
    // env would read a program path with `=` as an assignment (a root-owned name, but refuse it)
    if (program === undefined || program.includes('='))
      throw refuse(
        `${file} is not found in the executor's trusted PATH (${cfg.path}: root-owned directories only); nothing was run`,
      );
    const chdirTool = trustedProgram('env', DEFAULT_EXECUTOR_PATH);
    if (chdirTool === undefined)
      throw new ReplyError(
        'fail_closed',
        `the executor needs env (coreutils) in ${DEFAULT_EXECUTOR_PATH}; nothing was run`,
      );
    if (!(await runnerMayRead(p.plan.cwd, runner, DEFAULT_EXECUTOR_PATH)))
      throw refuse(
        `the runner user ${runner.user} cannot enter or read ${p.plan.cwd}; nothing was run`,
        'run the command from a directory the runner may read (or give the runner read access to it)',
      );
    let argv = p.plan.argv;
    const saved = p.plan.savedPlan;
    if (saved !== undefined) {
      const unreadable = await runnerMayApplyIn(p.plan.cwd, saved.argv, runner);
      if (unreadable !== undefined)
        throw refuse(
          `the runner user ${runner.user} cannot enter or read the Terraform working directory ${unreadable} or its .terraform; the approved saved plan was not applied; nothing was run`,
          'give the runner read access to the working directory and its .terraform (providers, modules, backend settings)',
        );
      const placed = placeSavedPlan(saved, runner, cfg);
      planDir = placed.dir;
      argv = placed.argv;
    }
    const received = await receiveCredentials(ctx, p.plan.credentials);
    Object.assign(env, {
      PATH: cfg.path,
      HOME: runner.home,
      USER: runner.user,
      LOGNAME: runner.user,
    });
    dir = placeCredentials(received, runner, cfg, env);
    await ctx.ledger.append('executor_start', {
      requestId: p.requestId,
      execId: msg.execId,
      runner: { user: runner.user, uid: runner.uid },
      program,
      credentials: credentialRecords(received),
      ...(saved === undefined ? {} : { savedPlan: { sha256: saved.sha256 } }),
    });
    const command = [chdirTool, `--chdir=${p.plan.cwd}`, '--', program];
    const code = await run(ctx, conn, msg, command, argv.slice(1), runner, env, [stdin, stdout, stderr]);
    await end(code.exitCode, code.signal, { ran: true });
    conn.result(msg.id, code);
  } catch (err) {
    if (!(err instanceof ReplyError)) throw err;
    await end(null, null, { ran: false, reason: err.message });
    throw err;
  } finally {
    closeStreams(p);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    await release();
  }
}

function run(
  ctx: DaemonContext,
  conn: Conn,
  msg: ExecRunMessage & { id: number },
  command: string[],
  args: string[],
  runner: Runner,
  env: Record<string, string>,
  stdio: [Socket, Socket, Socket],
): Promise<{ exitCode: number; signal: string | null }> {
  const program = command[command.length - 1]!;
  const s = stateOf(ctx);
  // the runner enters the cwd itself (env --chdir), so the daemon needs no access to it; the
  // client's stream connections are the command's fds 0, 1, 2: no stdio byte passes the daemon
  const child = spawn('setpriv', [...asRunner(runner), ...command, ...args], {
    cwd: '/',
    env,
    stdio,
    detached: true,
    argv0: 'setpriv',
  });
  for (const sock of stdio) sock.destroy();
  const running: Running = { child, conn, terminated: false };
  s.running.set(msg.execId, running);
  const send = (e: ExecutorEvent): void => conn.event(msg.id, e);
  const killGroup = (sig: NodeJS.Signals): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, sig);
    } catch {
      // gone
    }
  };
  // the client went away: nobody reads the output or can stop it — end it like a hang-up
  const onGone = (): void => {
    if (child.exitCode === null && child.signalCode === null) killGroup('SIGKILL');
  };
  conn.onClose(onGone);
  return new Promise((resolve, reject) => {
    child.once('error', (err) => {
      s.running.delete(msg.execId);
      reject(new ReplyError('fail_closed', `the executor could not start ${program}: ${err.message}; nothing was run`));
    });
    child.once('exit', (code, signal) => {
      s.running.delete(msg.execId);
      if (running.terminated) killGroup('SIGKILL');
      if (signal !== null) resolve({ exitCode: 128 + (osConstants.signals[signal] ?? 0), signal });
      else resolve({ exitCode: code ?? 1, signal: null });
    });
    send({ event: 'started' });
  });
}

type SignalMessage = Extract<ClientMessage, { type: 'exec_signal' }>;

function runningFor(ctx: DaemonContext, conn: Conn, execId: string): Running {
  const r = stateOf(ctx).running.get(execId);
  if (r === undefined || r.conn !== conn) throw new ReplyError('not_found', `no command ${execId} running`);
  return r;
}

const SIGNALS = new Set([
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
  'SIGWINCH',
  'SIGCONT',
  'SIGTSTP',
  // the client's own reader went away: what a write to a closed pipe gives the command (decision 1028)
  'SIGPIPE',
]);
const TERMINATING = new Set(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']);

export function handleExecSignal(ctx: DaemonContext, conn: Conn, msg: SignalMessage & { id: number }): void {
  if (!SIGNALS.has(msg.signal)) throw new ReplyError('bad_request', `signal ${msg.signal} is not forwarded`);
  const r = runningFor(ctx, conn, msg.execId);
  if (TERMINATING.has(msg.signal)) r.terminated = true;
  try {
    if (r.child.pid !== undefined) process.kill(-r.child.pid, msg.signal);
  } catch {
    // already gone
  }
  conn.result(msg.id, null);
}
