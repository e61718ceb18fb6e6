/**
 * Shared by the hardened-mode tests that run guard as real OS users: process output, the skip
 * reason, a copy of the built CLI the new users can read, and a daemon started as its own user.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, cpSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function collect(child: ChildProcess): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((res) => child.on('close', (code) => res({ code, stdout, stderr })));
}

/** Why the OS-user tests cannot run here (not root, tools missing), or undefined. */
export function osUsersSkipReason(): string | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not running as root';
  const missing = ['useradd', 'userdel', 'groupadd', 'groupdel', 'setpriv'].filter(
    (c) => spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0,
  );
  return missing.length > 0 ? `missing ${missing.join(', ')}` : undefined;
}

/** The built CLI copied under `base` (dist may be rebuilt meanwhile); returns its directory. */
export function installApp(base: string): string {
  const app = join(base, 'app');
  mkdirSync(app);
  for (const d of ['bin', 'dist', 'policies']) cpSync(join(ROOT, d), join(app, d), { recursive: true });
  copyFileSync(join(ROOT, 'package.json'), join(app, 'package.json'));
  cpSync(join(ROOT, 'node_modules'), join(app, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  return app;
}

/**
 * `guard daemon start --foreground --socket-mode 660` as another user: `drop` is the setpriv
 * argv up to and including `env -i`, `env` the daemon's whole environment, `extra` more `daemon start`
 * arguments. Resolves once ready.
 */
export async function startDaemonAs(
  drop: string[],
  env: Record<string, string>,
  app: string,
  cwd: string,
  extra: string[] = [],
): Promise<ChildProcess> {
  const child = spawn(
    'setpriv',
    [
      ...drop,
      ...Object.entries({ ...env, GUARD_DAEMON_READY_FD: '3' }).map(([k, v]) => `${k}=${v}`),
      process.execPath,
      join(app, 'bin', 'guard.js'),
      'daemon',
      'start',
      '--foreground',
      '--socket-mode',
      '660',
      ...extra,
    ],
    { cwd, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  await new Promise<void>((res, rej) => {
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (c: Buffer) => {
      if (c.toString().includes('ready')) res();
    });
    child.on('exit', (code) => rej(new Error(`daemon exited ${code}: ${log}`)));
  });
  return child;
}

/** Kill the daemon, remove the users and groups (`group:NAME`) made, newest first, and `base`. */
export async function tearDown(daemon: ChildProcess | undefined, created: string[], base: string): Promise<void> {
  // a daemon already ended by a signal has exitCode null too: waiting for its exit would never end
  if (daemon !== undefined && daemon.exitCode === null && daemon.signalCode === null) {
    const gone = new Promise((r) => daemon.once('exit', r));
    daemon.kill('SIGKILL');
    await gone;
  }
  for (const c of created.reverse()) {
    if (c.startsWith('group:')) spawnSync('groupdel', [c.slice(6)]);
    else spawnSync('userdel', ['-r', c], { stdio: 'ignore' });
  }
  if (base !== '') rmSync(base, { recursive: true, force: true });
}

/** The capabilities an enforced daemon holds to enter its runner (decision 1020). */
export const EXECUTOR_CAPS = '+setuid,+setgid,+kill,+chown';

/**
 * An enforced daemon (executor with a runner) started as `user` with the capabilities it needs,
 * `--policy policy`, on socket `sock` and home `home`; resolves once ready.
 */
export function startEnforcedDaemon(o: {
  user: string;
  runner: string;
  home: string;
  sock: string;
  executorEnv: string;
  executorPath: string;
  app: string;
  base: string;
  policy: string;
}): Promise<ChildProcess> {
  const num = (flag: string): string => spawnSync('id', [flag, o.user], { encoding: 'utf8' }).stdout.trim();
  const caps = EXECUTOR_CAPS;
  const drop = [`--reuid=${num('-u')}`, `--regid=${num('-g')}`, '--init-groups', `--inh-caps=${caps}`];
  return startDaemonAs(
    [...drop, `--ambient-caps=${caps}`, '--', 'env', '-i'],
    {
      PATH,
      HOME: `/home/${o.user}`,
      USER: o.user,
      GUARD_HOME: o.home,
      GUARD_SOCKET: o.sock,
      GUARD_KEYSTORE: 'file',
      GUARD_RUNNER_USER: o.runner,
      GUARD_EXECUTOR_ENV: o.executorEnv,
      GUARD_EXECUTOR_PATH: o.executorPath,
    },
    o.app,
    o.base,
    ['--policy', o.policy],
  );
}

/** A setup command that must succeed: its stdout, or an error with its stderr. */
export function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/**
 * The users of an enforced deployment: the daemon and the agent share the socket's group, the
 * runner has only its own (decision 1020). Each is pushed onto `created` for tearDown.
 */
export function enforcedUsers(
  u: { daemon: string; agent: string; runner: string; group: string },
  created: string[],
): { daemon: number; daemonGid: number; agent: number; agentGid: number; runner: number; runnerGid: number } {
  sh('groupadd', [u.group]);
  created.push(`group:${u.group}`);
  for (const n of [u.daemon, u.agent, u.runner]) {
    sh('useradd', ['-m', '-U', ...(n === u.runner ? [] : ['-G', u.group]), '-s', '/bin/sh', n]);
    created.push(n);
  }
  const num = (flag: string, who: string): number => Number(sh('id', [flag, who]).trim());
  return {
    daemon: num('-u', u.daemon),
    daemonGid: num('-g', u.daemon),
    agent: num('-u', u.agent),
    agentGid: num('-g', u.agent),
    runner: num('-u', u.runner),
    runnerGid: num('-g', u.runner),
  };
}

/** The daemon's socket path in a directory of base only the daemon and the socket's group may use. */
export function enforcedSocket(base: string, daemonUid: number, group: string): string {
  const dir = join(base, 'sock');
  mkdirSync(dir);
  chownSync(dir, daemonUid, Number(sh('getent', ['group', group]).split(':')[2]));
  chmodSync(dir, 0o2710);
  return join(dir, 'guard.sock');
}

/** guard as root (the administrator) over the daemon's socket, with only PATH, HOME and `extra`. */
export function adminGuard(
  app: string,
  base: string,
  sock: string,
  args: string[],
  extra: Record<string, string> = {},
): Promise<Run> {
  const env = Object.entries({ PATH, HOME: base, GUARD_SOCKET: sock, ...extra }).map(([k, v]) => `${k}=${v}`);
  const child = spawn('env', ['-i', ...env, process.execPath, join(app, 'bin', 'guard.js'), ...args], { cwd: base });
  child.stdin.end();
  return collect(child);
}
