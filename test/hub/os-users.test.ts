/**
 * A fleet whose hosts are separate OS users (useradd hub-*), as on real machines: each daemon,
 * its GUARD_HOME, its hub credential and every CLI call run as that user (setpriv); the hub runs
 * as another (root). A Slack click approves the right user's request, each host's command runs as
 * its user, and one host's user cannot read another's hub credential. Real PostgreSQL, a real
 * `guard hub start`, the local Slack protocol server. Skipped with a reason unless root.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../channels/fake-slack.js';
import { BIN, MARK, TEST_POLICY } from '../daemon/helpers.js';
import { collect, osUsersSkipReason, PATH, tearDown, type Run } from '../e2e/os-users.js';
import { postgresSkipReason, startPostgres, type Postgres } from '../helpers/postgres.js';
import { blockActions, hubConfig, startReplica, until, type Replica } from './fleet.js';

const SKIP = osUsersSkipReason() ?? postgresSkipReason();
const ID = /request (rq-[0-9a-f]{12}) is waiting/;

interface Host {
  user: string;
  uid: number;
  gid: number;
  home: string;
  daemon?: ChildProcess;
}

describe.skipIf(SKIP !== undefined)('guard hub: hosts as separate OS users', () => {
  const tag = randomBytes(3).toString('hex');
  const hosts: Host[] = [`hub-x-${tag}`, `hub-y-${tag}`].map((user) => ({ user, uid: 0, gid: 0, home: '' }));
  const created: string[] = [];
  let pg: Postgres;
  let slack: FakeSlack;
  let replica: Replica;
  let dir = '';

  const sh = (cmd: string, args: string[]): string => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const envOf = (h: Host): string[] =>
    Object.entries({
      PATH,
      HOME: h.home,
      GUARD_HOME: join(h.home, 'h'),
      GUARD_APPROVER_HOME: join(h.home, 'keys'),
      GUARD_KEYSTORE: 'file',
      GUARD_NO_AUTOSTART: '1',
    }).map(([k, v]) => `${k}=${v}`);
  const as = (h: Host, argv: string[], extraEnv: string[] = []): ChildProcess =>
    spawn(
      'setpriv',
      [`--reuid=${h.uid}`, `--regid=${h.gid}`, '--init-groups', '--', 'env', '-i', ...envOf(h), ...extraEnv, ...argv],
      {
        cwd: h.home,
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      },
    );
  const guardAs = (h: Host, args: string[]): Promise<Run> => collect(as(h, [process.execPath, BIN, ...args]));
  /** A file written by root into the host user's home, owned by that user. */
  const give = (h: Host, name: string, text: string): string => {
    const file = join(h.home, name);
    writeFileSync(file, text, { mode: 0o600 });
    chownSync(file, h.uid, h.gid);
    return file;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'guard-hub-users-'));
    pg = await startPostgres();
    slack = new FakeSlack();
    await slack.start();
    replica = await startReplica(pg, hubConfig(dir, slack));
    for (const h of hosts) {
      sh('useradd', ['-m', '-U', '-s', '/bin/sh', h.user]);
      created.push(h.user);
      h.uid = Number(sh('id', ['-u', h.user]));
      h.gid = Number(sh('id', ['-g', h.user]));
      h.home = `/home/${h.user}`;
      // the admin mints the token (as root, against the database); the host redeems it as its user
      const token = spawnSync(process.execPath, [BIN, 'hub', 'enroll-host', '--name', h.user], {
        env: { ...process.env, GUARD_HUB_DATABASE_URL: pg.url },
        encoding: 'utf8',
      });
      expect(token.status, token.stderr).toBe(0);
      const tokenFile = give(h, 'hub-token', token.stdout);
      const joined = await guardAs(h, ['hub', 'join', '--hub', replica.url, '--token-file', tokenFile]);
      expect(joined.code, joined.stderr).toBe(0);
      give(h, join('h', 'config.yaml'), joined.stdout);
      give(h, 'policy.yaml', TEST_POLICY);
      give(h, 'pass-bob', 'correct horse bob battery staple\n');
      const enrolled = await guardAs(h, [
        'approver',
        'enroll',
        '--name',
        'bob',
        '--group',
        'ops',
        '--os-user',
        'bob-os',
        '--slack-user-id',
        'U0BOB',
        '--passphrase-file',
        join(h.home, 'pass-bob'),
      ]);
      expect(enrolled.code, enrolled.stderr).toBe(0);
      const daemon = as(
        h,
        [process.execPath, BIN, 'daemon', 'start', '--foreground', '--policy', join(h.home, 'policy.yaml')],
        ['GUARD_DAEMON_READY_FD=3'],
      );
      h.daemon = daemon;
      let log = '';
      daemon.stderr!.on('data', (c: Buffer) => (log += c.toString()));
      await new Promise<void>((res, rej) => {
        (daemon.stdio[3] as NodeJS.ReadableStream).on('data', (c: Buffer) => {
          if (c.toString().includes('ready')) res();
        });
        daemon.on('exit', (code) => rej(new Error(`daemon of ${h.user} exited ${code}: ${log}`)));
      });
    }
  }, 300_000);

  afterAll(async () => {
    for (const h of hosts) await tearDown(h.daemon, [], '');
    await tearDown(undefined, created, '');
    replica?.child.kill('SIGKILL');
    await slack?.stop();
    await pg?.destroy();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it("each click approves its own user's request, and the command runs as that user", async () => {
    const runs = hosts.map((h) => {
      const child = as(h, [process.execPath, BIN, 'exec', '--', MARK, join(h.home, 'marker'), 'approve-me']);
      let stderr = '';
      const id = new Promise<string>((res) =>
        child.stderr!.on('data', (c: Buffer) => {
          stderr += c.toString();
          const m = ID.exec(stderr);
          if (m !== null) res(m[1]!);
        }),
      );
      return { id, done: collect(child) };
    });
    for (const [i, r] of runs.entries()) {
      const key = `${await r.id}@${hosts[i]!.user}`;
      await until(
        () => slack.callsOf('chat.postMessage').some((c) => JSON.stringify(c.args).includes(`"${key}"`)),
        `${key} posted`,
      );
      slack.sendInteractive(blockActions(key));
      const ran = await r.done;
      expect(ran.code, ran.stderr).toBe(0);
    }
    for (const h of hosts) {
      const marker = join(h.home, 'marker');
      expect(readFileSync(marker, 'utf8').trim().split('\n')).toHaveLength(1);
      // written by the wrapped command, which ran as the host's own user
      expect(statSync(marker).uid).toBe(h.uid);
    }
  }, 180_000);

  it("one host's user cannot read another host's hub credential", async () => {
    const [x, y] = hosts as [Host, Host];
    const credential = join(x.home, 'h', 'hub.credential');
    expect(statSync(credential).uid).toBe(x.uid);
    const r = await collect(as(y, ['cat', credential]));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Permission denied/);
  });
});
