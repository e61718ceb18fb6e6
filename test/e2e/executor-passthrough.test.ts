/**
 * The passthrough guarantees of test/e2e/exec-passthrough.test.ts, for a command the daemon's
 * executor runs (enforced mode, decisions 1020 and 1027): byte-exact stdout and stderr (binary,
 * large, empty), stdin, every exit code, signal deaths as 128+N, a forwarded signal, a reader
 * that closes early, and argv bytes. Real OS users (prefix `pexe`), a daemon as its own user with
 * a real credential, an allow rule naming it, the built CLI as the agent. Skipped with a printed
 * reason when not root.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../helpers/cli.js';
import { installApp, osUsersSkipReason, PATH, startDaemonAs, tearDown } from './os-users.js';

const SKIP = osUsersSkipReason();
if (SKIP !== undefined) console.log(`test/e2e/executor-passthrough.test.ts: suite skipped: ${SKIP}`);

const envArgs = (env: Record<string, string>): string[] => Object.entries(env).map(([k, v]) => `${k}=${v}`);
const CAPS = '+setuid,+setgid,+kill,+chown';
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

interface Bytes {
  status: number | null;
  stdout: Buffer;
  stderr: Buffer;
}
function collectBytes(child: ChildProcess): Promise<Bytes> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => out.push(c));
  child.stderr?.on('data', (c: Buffer) => err.push(c));
  return new Promise((res) =>
    child.on('close', (status) => res({ status, stdout: Buffer.concat(out), stderr: Buffer.concat(err) })),
  );
}

describe.skipIf(SKIP !== undefined)('guard exec passthrough through the enforced executor', () => {
  const tag = randomBytes(3).toString('hex');
  const u = { daemon: `pexed${tag}`, agent: `pexea${tag}`, runner: `pexer${tag}`, group: `pexes${tag}` };
  const created: string[] = [];
  const id = { daemon: 0, daemonGid: 0, agent: 0, agentGid: 0 };
  let base = '';
  let app = '';
  let sock = '';
  let work = '';
  let tbin = '';
  let marks = '';
  let daemon: ChildProcess | undefined;
  const token = `tok-${randomBytes(12).toString('hex')}`;

  const sh = (cmd: string, args: string[]): string => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const num = (flag: string, who: string): number => Number(sh('id', [flag, who]).trim());
  const agentEnv = (): Record<string, string> => ({
    PATH,
    HOME: `/home/${u.agent}`,
    USER: u.agent,
    GUARD_SOCKET: sock,
  });
  const asAgentArgv = (argv: string[]): string[] => [
    `--reuid=${id.agent}`,
    `--regid=${id.agentGid}`,
    '--init-groups',
    '--',
    'env',
    '-i',
    ...envArgs(agentEnv()),
    ...argv,
  ];
  const guardArgv = (args: string[]): string[] =>
    asAgentArgv([process.execPath, join(app, 'bin', 'guard.js'), ...args]);
  /** `guard exec -- argv` as the agent, with `input` (or an empty stdin) as its stdin. */
  const exec = (argv: string[], input?: Buffer): Promise<Bytes> => {
    const child = spawn('setpriv', guardArgv(['exec', '--', ...argv]), { cwd: work });
    const done = collectBytes(child);
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? Buffer.alloc(0));
    return done;
  };
  /** A bash script as the agent, `$GUARD` the guard command. */
  const bash = (script: string): Promise<Bytes> => {
    const child = spawn('setpriv', asAgentArgv(['GUARD_BIN=' + join(app, 'bin', 'guard.js'), 'bash', '-c', script]), {
      cwd: work,
    });
    child.stdin.end();
    return collectBytes(child);
  };

  const POLICY = `version: 1
default: allow
rules:
  - id: pexe.tools
    description: test programs, run by the executor with the tok credential
    effect: allow
    credentials: [tok]
    match: { program: [cat, exitwith, killself, emitbytes, argvhex, trapterm, bigout, silent, whoruns] }
`;

  beforeAll(async () => {
    try {
      sh('groupadd', [u.group]);
      created.push(`group:${u.group}`);
      for (const n of [u.daemon, u.agent, u.runner]) {
        sh('useradd', ['-m', '-U', ...(n === u.runner ? [] : ['-G', u.group]), '-s', '/bin/sh', n]);
        created.push(n);
      }
      id.daemon = num('-u', u.daemon);
      id.daemonGid = num('-g', u.daemon);
      id.agent = num('-u', u.agent);
      id.agentGid = num('-g', u.agent);
      const group = Number(sh('getent', ['group', u.group]).split(':')[2]);
      base = mkdtempSync('/tmp/pexe-');
      chmodSync(base, 0o755);
      app = installApp(base);
      // trusted programs for the executor: root-owned, in a root-owned directory
      tbin = join(base, 'tbin');
      mkdirSync(tbin, { mode: 0o755 });
      const fixture = (name: string, from: string): void => {
        copyFileSync(join(FIXTURES, from), join(tbin, name));
        chmodSync(join(tbin, name), 0o755);
      };
      fixture('emitbytes', 'emit-bytes.js');
      fixture('argvhex', 'argv-hex.sh');
      fixture('trapterm', 'trap-term.sh');
      writeFileSync(join(tbin, 'exitwith'), '#!/bin/sh\nexit "$1"\n', { mode: 0o755 });
      writeFileSync(join(tbin, 'killself'), '#!/bin/sh\nkill -s "$1" $$\n', { mode: 0o755 });
      writeFileSync(join(tbin, 'whoruns'), '#!/bin/sh\nid -un\n[ -n "$TOKEN" ] && echo credential\n', { mode: 0o755 });
      writeFileSync(join(tbin, 'silent'), '#!/bin/sh\ncat >/dev/null\n', { mode: 0o755 });
      // writes until its stdout is closed
      writeFileSync(join(tbin, 'bigout'), '#!/bin/sh\nexec yes 0123456789abcdef\n', { mode: 0o755 });
      const home = join(base, 'home');
      mkdirSync(home, { mode: 0o700 });
      chownSync(home, id.daemon, id.daemonGid);
      writeFileSync(join(base, 'policy.yaml'), POLICY, { mode: 0o644 });
      const sockDir = join(base, 'sock');
      mkdirSync(sockDir);
      chownSync(sockDir, id.daemon, group);
      chmodSync(sockDir, 0o2710);
      sock = join(sockDir, 'guard.sock');
      work = join(base, 'work');
      mkdirSync(work, { mode: 0o755 });
      chownSync(work, id.agent, id.agentGid);
      // where the runner's commands leave markers
      marks = join(base, 'marks');
      mkdirSync(marks, { mode: 0o777 });
      chmodSync(marks, 0o777);
      daemon = await startDaemonAs(
        [
          `--reuid=${id.daemon}`,
          `--regid=${id.daemonGid}`,
          '--init-groups',
          `--inh-caps=${CAPS}`,
          `--ambient-caps=${CAPS}`,
          '--',
          'env',
          '-i',
        ],
        {
          PATH,
          HOME: `/home/${u.daemon}`,
          USER: u.daemon,
          GUARD_HOME: home,
          GUARD_SOCKET: sock,
          GUARD_KEYSTORE: 'file',
          GUARD_RUNNER_USER: u.runner,
          GUARD_EXECUTOR_ENV: 'LANG',
          GUARD_EXECUTOR_PATH: `${tbin}:/usr/bin:/bin`,
        },
        app,
        base,
        ['--policy', join(base, 'policy.yaml')],
      );
      writeFileSync(join(base, 'tok.secret'), token, { mode: 0o600 });
      const add = spawnSync(
        'env',
        [
          '-i',
          ...envArgs({ PATH, HOME: base, GUARD_SOCKET: sock }),
          process.execPath,
          join(app, 'bin', 'guard.js'),
          'credential',
          'add',
          'tok',
          '--env',
          'TOKEN',
          '--from-file',
          join(base, 'tok.secret'),
        ],
        { cwd: base, encoding: 'utf8' },
      );
      if (add.status !== 0) throw new Error(`credential add failed: ${add.stderr}`);
    } catch (err) {
      await tearDown(daemon, created, base);
      throw err;
    }
  }, 120_000);
  afterAll(() => tearDown(daemon, created, base));

  it('the commands run in the executor: as the runner, with the credential', async () => {
    const r = await exec(['whoruns']);
    expect(r.stderr.toString()).toBe('');
    expect(r.stdout.toString()).toBe(`${u.runner}\ncredential\n`);
    expect(r.status).toBe(0);
  });

  it('passes stdout and stderr bytes unchanged (binary, large)', async () => {
    const direct = spawnSync(join(FIXTURES, 'emit-bytes.js'), ['5000000', '300000'], { maxBuffer: 64 << 20 });
    expect(direct.stdout.length).toBe(5_000_000);
    const r = await exec(['emitbytes', '5000000', '300000']);
    expect(r.status, r.stderr.subarray(0, 200).toString()).toBe(0);
    expect(r.stdout.length).toBe(5_000_000);
    expect(sha(r.stdout)).toBe(sha(direct.stdout));
    expect(sha(r.stderr)).toBe(sha(direct.stderr));
  });

  it('passes empty output as empty, and an empty stdin as an immediate EOF', async () => {
    const none = await exec(['exitwith', '0']);
    expect(none).toEqual({ status: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) });
    const cat = await exec(['cat']);
    expect(cat).toEqual({ status: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) });
  });

  it('pipes stdin through', async () => {
    const input = randomBytes(2 * 1024 * 1024);
    const r = await exec(['cat'], input);
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(sha(r.stdout)).toBe(sha(input));
    const drained = await exec(['silent'], input);
    expect(drained).toEqual({ status: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) });
  });

  it('passes every exit code 0..255 through', { timeout: 900_000 }, async () => {
    const codes = Array.from({ length: 256 }, (_, i) => i);
    const seen: number[] = [];
    const batch = 8;
    for (let i = 0; i < codes.length; i += batch) {
      const rs = await Promise.all(codes.slice(i, i + batch).map((c) => exec(['exitwith', String(c)])));
      for (const r of rs) seen.push(r.status ?? -1);
    }
    expect(seen).toEqual(codes);
  });

  it('reports death by signal as 128+N', async () => {
    for (const [sig, n] of [
      ['KILL', 9],
      ['TERM', 15],
      ['SEGV', 11],
    ] as const) {
      const r = await exec(['killself', sig]);
      expect({ sig, status: r.status }).toEqual({ sig, status: 128 + n });
    }
  });

  it('forwards SIGTERM to the command and exits with its status', async () => {
    const marker = join(marks, `term-${randomBytes(4).toString('hex')}`);
    const child = spawn('setpriv', guardArgv(['exec', '--', 'trapterm', marker]), { cwd: work });
    child.stdin.end();
    const done = collectBytes(child);
    while (!existsSync(`${marker}.ready`)) {
      if (child.exitCode !== null) throw new Error('guard exited before the command was ready');
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGTERM');
    const r = await done;
    expect(readFileSync(marker, 'utf8').trim()).toBe('term');
    expect(r.status, r.stderr.toString()).toBe(42);
  });

  it('a reader that closes early ends the command by SIGPIPE (128+13), as without guard', async () => {
    const direct = await bash(`set -o pipefail; ${join(tbin, 'bigout')} | head -c 10; echo " $?"`);
    expect(direct.stdout.toString()).toBe('0123456789 141\n');
    const r = await bash(`set -o pipefail; node "$GUARD_BIN" exec -- bigout | head -c 10; echo " $?"`);
    expect(r.stderr.toString()).toBe('');
    expect(r.stdout.toString()).toBe('0123456789 141\n');
  });

  it('passes arguments with spaces, quotes, newlines and any UTF-8 unchanged', async () => {
    const args = ['a b', `it's "quoted"`, 'line1\nline2', '', '$(whoami)', '*', '-- --x', 'tab\there', 'é ü 漢字 🎉'];
    const r = await exec(['argvhex', ...args]);
    expect(r.status, r.stderr.toString()).toBe(0);
    const expected = Buffer.concat([
      Buffer.from(`/bin/sh\0${join(tbin, 'argvhex')}\0`),
      ...args.map((a) => Buffer.from(`${a}\0`)),
    ]).toString('hex');
    expect(r.stdout.toString().trim()).toBe(expected);
  });

  // a difference by design (decision 1020): the executor takes one plain program with UTF-8 arguments
  it('refuses non-UTF-8 argument bytes clearly and runs nothing', async () => {
    const marker = join(marks, `raw-${randomBytes(4).toString('hex')}`);
    const raw = await bash(`exec node "$GUARD_BIN" exec -- trapterm ${marker} $'\\xff\\xfe' $'a\\x80b' ok`);
    expect(raw.stderr.toString()).toMatch(/no shell, wrapper, assignment or non-UTF-8 argument; nothing was run/);
    expect(raw.status).toBe(76);
    expect(raw.stdout.length).toBe(0);
    expect(existsSync(`${marker}.ready`)).toBe(false);
  });
});
