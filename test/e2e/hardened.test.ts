/**
 * Hardened deployment (docs/deployment.md): the daemon runs as its own OS user that owns
 * GUARD_HOME; the agent's user reaches only the socket (through a group) and names it with
 * GUARD_SOCKET. Real users (useradd), real privilege drops (setpriv), the built CLI, a real daemon.
 * The part that needs root is skipped with a printed reason when not root or useradd is missing;
 * the fail-closed checks of GUARD_SOCKET run everywhere.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rig, TEST_POLICY } from '../daemon/helpers.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const ROOT_BIN = join(ROOT, 'bin', 'guard.js');
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function collect(child: ChildProcess, timeoutMs = 45_000): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((res) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    }),
  );
}

const envArgs = (env: Record<string, string>): string[] => Object.entries(env).map(([k, v]) => `${k}=${v}`);

function commandExists(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function skipReason(): string | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0)
    return 'not running as root: creating the daemon and agent users needs root (CI runs as root)';
  const missing = ['useradd', 'userdel', 'groupadd', 'groupdel', 'setpriv'].filter((c) => !commandExists(c));
  if (missing.length > 0) return `missing ${missing.join(', ')}`;
  return undefined;
}

const SKIP = skipReason();
if (SKIP !== undefined) console.log(`test/e2e/hardened.test.ts: hardened-mode suite skipped: ${SKIP}`);

describe('GUARD_SOCKET fails closed (any user)', () => {
  let base: string;
  beforeAll(() => {
    base = mkdtempSync('/tmp/gs-');
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  const guard = (args: string[], extra: Record<string, string>): Promise<Run> =>
    collect(
      spawn(process.execPath, [ROOT_BIN, ...args], {
        // autostart is NOT disabled: GUARD_SOCKET alone must keep a client from starting a daemon
        env: { PATH, HOME: base, GUARD_HOME: join(base, 'home'), ...extra },
        cwd: base,
      }),
    );

  it('runs nothing and starts no daemon when the GUARD_SOCKET daemon is down (exit 70)', async () => {
    const marker = join(base, 'marker');
    const r = await guard(['exec', '--', join(ROOT, 'test', 'daemon', 'fixtures', 'mark'), marker, 'hello'], {
      GUARD_SOCKET: join(base, 'nobody.sock'),
    });
    expect(r.code, r.stderr).toBe(70);
    expect(r.stderr).toMatch(/no guard daemon answers at .*nobody\.sock \(set by GUARD_SOCKET\)/);
    expect(r.stderr).toMatch(/no daemon is started for a GUARD_SOCKET/);
    expect(existsSync(marker)).toBe(false);
    // no daemon of its own: nothing was created under the client's GUARD_HOME
    expect(existsSync(join(base, 'home', 'daemon.log'))).toBe(false);
    expect(existsSync(join(base, 'home', 'run'))).toBe(false);
  });

  it('refuses `shutdown` over a group-shared socket (--socket-mode 660); a signal still stops it', async () => {
    const rig = new Rig();
    try {
      const d = await rig.startDaemon(['--socket-mode', '660']);
      const stop = await rig.guard(['daemon', 'stop']);
      expect(stop.code, stop.stderr).toBe(70);
      expect(stop.stderr).toMatch(/cannot be stopped over the socket/);
      expect((await rig.exec('hello').done).code).toBe(0);
      const exited = new Promise((r) => d.on('exit', r));
      d.kill('SIGTERM');
      await exited;
      expect((await rig.guard(['daemon', 'status'])).code).toBe(70);
    } finally {
      await rig.cleanup();
    }
  });

  it('refuses a relative GUARD_SOCKET (usage error 64)', async () => {
    const r = await guard(['exec', '--', 'true'], { GUARD_SOCKET: 'run/guard.sock' });
    expect(r.code, r.stderr).toBe(64);
    expect(r.stderr).toMatch(/GUARD_SOCKET must be an absolute path/);
  });
});

interface Users {
  daemon: string;
  agent: string;
  group: string;
}

describe.skipIf(SKIP !== undefined)('hardened mode: daemon and agent as different OS users', () => {
  const tag = randomBytes(3).toString('hex');
  const users: Users = { daemon: `guardd-${tag}`, agent: `agent-${tag}`, group: `guardsock-${tag}` };
  const createdUsers: string[] = [];
  let createdGroup = false;
  let base = '';
  let app = '';
  let home = '';
  let sockDir = '';
  let sock = '';
  let work = '';
  let policy = '';
  let daemon: ChildProcess | undefined;
  const ids = { daemonUid: -1, daemonGid: -1, agentUid: -1, agentGid: -1, groupGid: -1 };

  const idOf = (flag: '-u' | '-g', user: string): number =>
    Number(spawnSync('id', [flag, user], { encoding: 'utf8' }).stdout.trim());

  const sh = (cmd: string, args: string[]): void => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  };

  /** argv prefix that drops root to `user` (uid, its primary gid, and its supplementary groups). */
  const as = (user: 'daemon' | 'agent', groups: 'init' | 'none' = 'init'): string[] => {
    const uid = user === 'daemon' ? ids.daemonUid : ids.agentUid;
    const gid = user === 'daemon' ? ids.daemonGid : ids.agentGid;
    return [
      `--reuid=${uid}`,
      `--regid=${gid}`,
      groups === 'init' ? `--init-groups` : '--clear-groups',
      '--',
      'env',
      '-i',
    ];
  };

  const agentEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
    PATH,
    HOME: `/home/${users.agent}`,
    USER: users.agent,
    GUARD_SOCKET: sock,
    ...extra,
  });
  const daemonEnv = (): Record<string, string> => ({
    PATH,
    HOME: `/home/${users.daemon}`,
    USER: users.daemon,
    GUARD_HOME: home,
    GUARD_SOCKET: sock,
    GUARD_KEYSTORE: 'file',
  });

  const asAgent = (
    args: string[],
    env = agentEnv(),
    groups: 'init' | 'none' = 'init',
    cwd: string = work,
  ): Promise<Run> =>
    collect(
      spawn(
        'setpriv',
        [...as('agent', groups), ...envArgs(env), process.execPath, join(app, 'bin', 'guard.js'), ...args],
        { cwd },
      ),
    );
  const asDaemonUser = (args: string[]): Promise<Run> =>
    collect(
      spawn(
        'setpriv',
        [...as('daemon'), ...envArgs(daemonEnv()), process.execPath, join(app, 'bin', 'guard.js'), ...args],
        {
          cwd: base,
        },
      ),
    );
  const mark = (): string => join(app, 'mark');
  const lines = (p: string): string[] =>
    existsSync(p) ? readFileSync(p, 'utf8').trim().split('\n').filter(Boolean) : [];

  async function cleanup(): Promise<void> {
    if (daemon !== undefined && daemon.exitCode === null && daemon.signalCode === null) {
      const d = daemon;
      await new Promise<void>((res) => {
        const t = setTimeout(() => d.kill('SIGKILL'), 5000);
        d.on('exit', () => {
          clearTimeout(t);
          res();
        });
        d.kill('SIGTERM');
      });
    }
    for (const u of createdUsers.splice(0)) spawnSync('userdel', ['-r', u], { stdio: 'ignore' });
    if (createdGroup) spawnSync('groupdel', [users.group], { stdio: 'ignore' });
    createdGroup = false;
    if (base !== '') rmSync(base, { recursive: true, force: true });
  }

  /** The CLI where the new users can read it: a temp copy (dist may be rebuilt meanwhile). */
  function installApp(): void {
    app = join(base, 'app');
    mkdirSync(app);
    for (const d of ['bin', 'dist', 'policies']) cpSync(join(ROOT, d), join(app, d), { recursive: true });
    copyFileSync(join(ROOT, 'package.json'), join(app, 'package.json'));
    copyFileSync(join(ROOT, 'test', 'daemon', 'fixtures', 'mark'), join(app, 'mark'));
    chmodSync(app, 0o755);
    chmodSync(join(app, 'mark'), 0o755);
    const probe = spawnSync(
      'setpriv',
      [
        ...as('agent'),
        'PATH=/usr/bin:/bin',
        'test',
        '-r',
        join(ROOT, 'node_modules', 'better-sqlite3', 'package.json'),
      ],
      { stdio: 'ignore' },
    );
    // link the real node_modules when the new users can read it; never chmod the checkout
    if (probe.status === 0) symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'));
    else cpSync(join(ROOT, 'node_modules'), join(app, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  }

  async function startDaemon(): Promise<ChildProcess> {
    const child = spawn(
      'setpriv',
      [
        ...as('daemon'),
        ...envArgs({ ...daemonEnv(), GUARD_DAEMON_READY_FD: '3' }),
        process.execPath,
        join(app, 'bin', 'guard.js'),
        'daemon',
        'start',
        '--foreground',
        '--socket-mode',
        '660',
      ],
      { cwd: base, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] },
    );
    let log = '';
    child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    await new Promise<void>((res, rej) => {
      (child.stdio[3] as NodeJS.ReadableStream).on('data', (c: Buffer) => {
        if (c.toString().includes('ready')) res();
      });
      child.on('exit', (code) => rej(new Error(`daemon exited ${code}: ${log}`)));
      setTimeout(() => rej(new Error(`daemon not ready after 20 s: ${log}`)), 20_000);
    });
    return child;
  }

  /** The approver enrolls in a scratch home (key in their own dir); root installs the public record. */
  async function enrollApprover(): Promise<void> {
    const scratch = join(base, 'enroll');
    const keys = join(base, 'alice-keys');
    writeFileSync(join(base, 'alice.pass'), 'correct horse alice battery staple\n', { mode: 0o600 });
    const r = await collect(
      spawn(
        'env',
        [
          '-i',
          ...envArgs({ PATH, HOME: base, GUARD_HOME: scratch, GUARD_APPROVER_HOME: keys, GUARD_KEYSTORE: 'file' }),
          process.execPath,
          join(app, 'bin', 'guard.js'),
          'approver',
          'enroll',
          '--name',
          'alice',
          '--group',
          'ops',
          '--os-user',
          'alice-os',
          '--passphrase-file',
          join(base, 'alice.pass'),
        ],
        { cwd: base },
      ),
    );
    if (r.code !== 0) throw new Error(`enroll failed (${r.code}): ${r.stderr}`);
    const registry = join(home, 'approvers');
    mkdirSync(registry, { mode: 0o700 });
    copyFileSync(join(scratch, 'approvers', 'alice.json'), join(registry, 'alice.json'));
    chmodSync(join(registry, 'alice.json'), 0o600);
    chownSync(registry, ids.daemonUid, ids.daemonGid);
    chownSync(join(registry, 'alice.json'), ids.daemonUid, ids.daemonGid);
  }

  beforeAll(async () => {
    try {
      sh('groupadd', [users.group]);
      createdGroup = true;
      for (const u of [users.daemon, users.agent]) {
        sh('useradd', ['-m', '-U', '-G', users.group, '-s', '/bin/sh', u]);
        createdUsers.push(u);
      }
      ids.daemonUid = idOf('-u', users.daemon);
      ids.daemonGid = idOf('-g', users.daemon);
      ids.agentUid = idOf('-u', users.agent);
      ids.agentGid = idOf('-g', users.agent);
      ids.groupGid = Number(spawnSync('getent', ['group', users.group], { encoding: 'utf8' }).stdout.split(':')[2]);
      base = mkdtempSync('/tmp/gh-');
      chmodSync(base, 0o755);
      installApp();
      policy = join(base, 'policy.yaml');
      writeFileSync(policy, TEST_POLICY, { mode: 0o644 });
      // the daemon's home: its user only
      home = join(base, 'home');
      mkdirSync(home, { mode: 0o700 });
      chownSync(home, ids.daemonUid, ids.daemonGid);
      // the test rules as the daemon's user layer (not --policy, which would switch the layers off,
      // project `.guard/` lookups included)
      const userLayer = join(home, 'policies');
      mkdirSync(userLayer, { mode: 0o700 });
      writeFileSync(join(userLayer, 'test.yaml'), TEST_POLICY, { mode: 0o600 });
      chownSync(userLayer, ids.daemonUid, ids.daemonGid);
      chownSync(join(userLayer, 'test.yaml'), ids.daemonUid, ids.daemonGid);
      // the socket directory: owned by the daemon user, group-searchable, setgid so the socket gets the group
      sockDir = join(base, 'sock');
      mkdirSync(sockDir);
      chownSync(sockDir, ids.daemonUid, ids.groupGid);
      chmodSync(sockDir, 0o2710);
      sock = join(sockDir, 'guard.sock');
      work = join(base, 'work');
      mkdirSync(work);
      chownSync(work, ids.agentUid, ids.agentGid);
      chmodSync(work, 0o755);
      await enrollApprover();
      daemon = await startDaemon();
    } catch (err) {
      await cleanup();
      throw err;
    }
  });
  afterAll(cleanup);

  it('runs the daemon as its own user; its files are closed to everyone else; the socket is group-shared', () => {
    const status = readFileSync(`/proc/${daemon!.pid}/status`, 'utf8');
    expect(status).toMatch(new RegExp(`^Uid:\\s+${ids.daemonUid}\\s+${ids.daemonUid}\\b`, 'm'));
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((n) => {
        const p = join(dir, n);
        return lstatSync(p).isDirectory() ? [p, ...walk(p)] : [p];
      });
    const files = walk(home);
    for (const f of [join(home, 'ledger.db'), join(home, 'state.db'), join(home, 'approvers', 'alice.json')])
      expect(files).toContain(f);
    expect(files.filter((f) => f.startsWith(join(home, 'keys')) && f.endsWith('.key')).length).toBeGreaterThan(0);
    for (const f of [home, ...files]) {
      const st = lstatSync(f);
      expect({ f, uid: st.uid }).toEqual({ f, uid: ids.daemonUid });
      expect({ f, groupOrOther: (st.mode & 0o077).toString(8) }).toEqual({ f, groupOrOther: '0' });
    }
    const s = lstatSync(sock);
    expect(s.isSocket()).toBe(true);
    expect((s.mode & 0o777).toString(8)).toBe('660');
    expect(s.gid).toBe(ids.groupGid);
  });

  it("decides the agent's commands through the socket: allowed runs, denied is refused (77)", async () => {
    const allowed = join(work, 'allowed');
    const ok = await asAgent(['exec', '--', mark(), allowed, 'hello']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(lines(allowed)).toHaveLength(1);
    const denied = join(work, 'denied');
    const no = await asAgent(['exec', '--', mark(), denied, 'deny-me']);
    expect(no.code, no.stderr).toBe(77);
    expect(no.stderr).toMatch(/t\.deny/);
    expect(existsSync(denied)).toBe(false);
  });

  it('refuses to judge in a directory the daemon cannot search for project rules (70, nothing runs)', async () => {
    // The daemon looks for `.guard/` from the cwd upwards; in a directory only the agent can open it
    // cannot tell whether the project tightens the policy, so it must not guess that it does not.
    const privateDir = join(work, 'private');
    mkdirSync(privateDir, { mode: 0o700 });
    chownSync(privateDir, ids.agentUid, ids.agentGid);
    const marker = join(work, 'private-run');
    const r = await asAgent(['exec', '--', mark(), marker, 'hello'], agentEnv(), 'init', privateDir);
    expect(r.code, r.stderr).toBe(70);
    expect(r.stderr).toMatch(/cannot check for project policy rules \(EACCES\)/);
    expect(existsSync(marker)).toBe(false);
  });

  it('cannot read the signing key, ledger, state db or approver registry, nor write the ledger', async () => {
    const key = readdirSync(join(home, 'keys')).find((f) => f.endsWith('.key'));
    expect(key).toBeDefined();
    const targets = {
      key: join(home, 'keys', key!),
      ledger: join(home, 'ledger.db'),
      state: join(home, 'state.db'),
      registry: join(home, 'approvers', 'alice.json'),
      registryDir: join(home, 'approvers'),
    };
    const probe = `
      const fs = require('node:fs');
      const t = JSON.parse(process.env.TARGETS);
      const code = (f) => { try { f(); return 'OK'; } catch (e) { return e.code; } };
      const out = {};
      for (const [k, p] of Object.entries(t)) out['read ' + k] = code(() => k === 'registryDir' ? fs.readdirSync(p) : fs.readFileSync(p));
      out['write ledger'] = code(() => fs.closeSync(fs.openSync(t.ledger, 'r+')));
      out['write ledger wal'] = code(() => fs.closeSync(fs.openSync(t.ledger + '-wal', 'a')));
      out['replace ledger'] = code(() => fs.renameSync(t.ledger, t.ledger + '.x'));
      out['add approver'] = code(() => fs.writeFileSync(t.registryDir + '/mallory.json', '{}'));
      console.log(JSON.stringify(out));`;
    const r = await collect(
      spawn(
        'setpriv',
        [...as('agent'), ...envArgs({ PATH, TARGETS: JSON.stringify(targets) }), process.execPath, '-e', probe],
        {
          cwd: work,
        },
      ),
    );
    expect(r.code, r.stderr).toBe(0);
    const codes = JSON.parse(r.stdout) as Record<string, string>;
    expect(Object.keys(codes)).toHaveLength(9);
    for (const [what, code] of Object.entries(codes)) expect({ what, code }).toEqual({ what, code: 'EACCES' });
  });

  it('cannot start a daemon of its own on the daemon home, and never gets one autostarted', async () => {
    const own = await asAgent(['daemon', 'start', '--foreground', '--policy', policy], agentEnv({ GUARD_HOME: home }));
    expect(own.code, own.stderr).toBe(70);
    expect(own.stderr).toMatch(/EACCES|permission denied/i);

    const marker = join(work, 'never');
    // the daemon's home named directly (no GUARD_SOCKET): the socket cannot be reached, nothing runs
    const direct = { PATH, HOME: `/home/${users.agent}`, GUARD_HOME: home };
    const viaHome = await asAgent(['exec', '--', mark(), marker, 'hello'], direct);
    expect(viaHome.code, viaHome.stderr).toBe(70);
    expect(viaHome.stderr).toMatch(/may not use the guard daemon socket/);
    // GUARD_SOCKET names a socket nobody answers on: no autostart of an agent-owned daemon
    const down = await asAgent(
      ['exec', '--', mark(), marker, 'hello'],
      agentEnv({ GUARD_SOCKET: join(sockDir, 'x.sock') }),
    );
    expect(down.code, down.stderr).toBe(70);
    expect(down.stderr).toMatch(/no daemon is started for a GUARD_SOCKET/);
    expect(existsSync(join('/home', users.agent, '.local', 'state', 'guard', 'daemon.log'))).toBe(false);
    // outside the socket's group the socket is closed
    const outsider = await asAgent(['exec', '--', mark(), marker, 'hello'], agentEnv(), 'none');
    expect(outsider.code, outsider.stderr).toBe(70);
    expect(outsider.stderr).toMatch(/may not use the guard daemon socket/);
    expect(existsSync(marker)).toBe(false);
    // the real daemon was not disturbed
    expect(daemon!.exitCode).toBeNull();
  });

  it('cannot stop the daemon: a group-shared socket refuses `shutdown`, and signals need its uid', async () => {
    const stop = await asAgent(['daemon', 'stop']);
    expect(stop.code, stop.stderr).toBe(70);
    expect(stop.stderr).toMatch(/cannot be stopped over the socket/);
    expect(stop.stderr).toMatch(/systemctl stop guardd|kill \d+/);
    const kill = await collect(
      spawn('setpriv', [...as('agent'), `PATH=${PATH}`, 'kill', '-TERM', String(daemon!.pid)], { cwd: work }),
    );
    expect(kill.code).not.toBe(0);
    expect(kill.stderr).toMatch(/not permitted/i);
    const still = await asAgent(['exec', '--', mark(), join(work, 'after-stop'), 'hello']);
    expect(still.code, still.stderr).toBe(0);
    expect(daemon!.exitCode).toBeNull();
  });

  it('holds a command until an approver enrolled in the daemon registry approves it', async () => {
    const marker = join(work, 'approved');
    const held = await asAgent(['exec', '--no-wait', '--', mark(), marker, 'approve-me']);
    expect(held.code, held.stderr).toBe(75);
    const id = held.stdout.trim();
    expect(id).not.toBe('');
    expect(existsSync(marker)).toBe(false);
    // the agent has no approver key: it cannot approve
    const self = await asAgent(['approve', id, '--as', 'alice', '--passphrase-file', '/dev/null']);
    expect(self.code).not.toBe(0);
    const approve = await collect(
      spawn(
        'env',
        [
          '-i',
          ...envArgs({ PATH, HOME: base, GUARD_SOCKET: sock, GUARD_APPROVER_HOME: join(base, 'alice-keys') }),
          process.execPath,
          join(app, 'bin', 'guard.js'),
          'approve',
          id,
          '--as',
          'alice',
          '--passphrase-file',
          join(base, 'alice.pass'),
        ],
        { cwd: base },
      ),
    );
    expect(approve.code, approve.stderr).toBe(0);
    const rerun = await asAgent(['exec', '--', mark(), marker, 'approve-me']);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(lines(marker)).toHaveLength(1);
  });

  it("leaves a ledger that the daemon user verifies and that holds the agent's requests", async () => {
    const pub = join(home, 'ledger.pub');
    const out = await asDaemonUser(['ledger', 'pubkey', '--out', pub]);
    expect(out.code, out.stderr).toBe(0);
    const v = await asDaemonUser(['ledger', 'verify', '--db', join(home, 'ledger.db'), '--pubkey', pub, '--json']);
    expect(v.code, v.stderr + v.stdout).toBe(0);
    const show = await asDaemonUser(['ledger', 'show', '--json', '--db', join(home, 'ledger.db')]);
    expect(show.code, show.stderr).toBe(0);
    const recs = show.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; payload: Record<string, unknown> });
    const requests = recs.filter((r) => r.type === 'request').map((r) => JSON.stringify(r.payload));
    for (const label of ['hello', 'deny-me', 'approve-me']) expect(requests.some((p) => p.includes(label))).toBe(true);
    expect(requests.every((p) => p.includes(users.agent))).toBe(true);
    expect(recs.some((r) => r.type === 'approval')).toBe(true);
    expect(recs.filter((r) => r.type === 'exec_start').length).toBeGreaterThanOrEqual(2);
  });
});
