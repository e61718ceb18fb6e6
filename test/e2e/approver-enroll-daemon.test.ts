/**
 * Enrollment through the daemon (issue 13 item 7, decision 0425), hardened mode: the daemon runs
 * as its own OS user with a group-shared socket. An agent user's `guard approver enroll` (and a
 * hand-made `enroll` message) is refused and recorded as `approver_enroll_refused` with its
 * kernel-verified uid; an administrator's (root's) enrollment lands in the daemon's registry and
 * as an `approver_enrolled` record, with no secret in the ledger. Real OS users (useradd,
 * setpriv), the built CLI, a real daemon. Skipped with a printed reason unless root.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_POLICY } from '../daemon/helpers.js';
import { collect, installApp, osUsersSkipReason, PATH, startDaemonAs, tearDown, type Run } from './os-users.js';
interface LedgerEntry {
  type: string;
  payload: Record<string, unknown>;
}

/** A raw protocol client: sends one message, prints the first non-event answer as a JSON line. */
const RAW_CLIENT = `
import { connect } from 'node:net';
const msg = JSON.parse(process.argv[2]);
const s = connect({ path: process.env.GUARD_SOCKET });
let buf = Buffer.alloc(0);
s.on('connect', () => { const body = Buffer.from(JSON.stringify({ ...msg, id: 1 })); const h = Buffer.alloc(4);
  h.writeUInt32BE(body.length); s.write(Buffer.concat([h, body])); });
s.on('data', (c) => { buf = Buffer.concat([buf, c]);
  while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
    const m = JSON.parse(buf.subarray(4, 4 + buf.readUInt32BE(0)).toString()); buf = buf.subarray(4 + buf.readUInt32BE(0));
    if (m.type === 'event') continue; console.log(JSON.stringify(m)); s.end(); return; } });
s.on('error', (e) => { console.error(e.message); process.exit(2); });
`;

const SKIP = osUsersSkipReason();
if (SKIP !== undefined) console.log(`test/e2e/approver-enroll-daemon.test.ts skipped: ${SKIP}`);

describe.skipIf(SKIP !== undefined)('hardened mode: enrollment goes through the daemon', () => {
  const tag = randomBytes(3).toString('hex');
  const names = { daemon: `gen-d-${tag}`, agent: `gen-agent-${tag}`, group: `gen-g-${tag}` };
  const uid: Record<string, number> = {};
  const gid: Record<string, number> = {};
  let base = '';
  let app = '';
  let home = '';
  let sock = '';
  let daemon: ChildProcess | undefined;
  const created: string[] = [];

  const sh = (cmd: string, args: string[]): string => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const envArgs = (env: Record<string, string>): string[] => Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const drop = (who: 'daemon' | 'agent'): string[] => [
    `--reuid=${uid[who]}`,
    `--regid=${gid[who]}`,
    '--init-groups',
    '--',
    'env',
    '-i',
  ];
  const agentHome = (): string => `/home/${names.agent}`;
  const guardAsAgent = (args: string[]): Promise<Run> =>
    collect(
      spawn(
        'setpriv',
        [
          ...drop('agent'),
          ...envArgs({ PATH, HOME: agentHome(), USER: names.agent, GUARD_SOCKET: sock }),
          process.execPath,
          join(app, 'bin', 'guard.js'),
          ...args,
        ],
        { cwd: agentHome() },
      ),
    );
  const guardAsDaemonUser = (args: string[]): Promise<Run> =>
    collect(
      spawn(
        'setpriv',
        [
          ...drop('daemon'),
          ...envArgs({
            PATH,
            HOME: `/home/${names.daemon}`,
            GUARD_HOME: home,
            GUARD_SOCKET: sock,
            GUARD_KEYSTORE: 'file',
          }),
          process.execPath,
          join(app, 'bin', 'guard.js'),
          ...args,
        ],
        { cwd: base },
      ),
    );
  /** The administrator: root, naming the daemon's socket, keys in a directory of its own. */
  const guardAsAdmin = (args: string[]): Promise<Run> =>
    collect(
      spawn(
        'env',
        [
          '-i',
          ...envArgs({ PATH, HOME: base, GUARD_SOCKET: sock, GUARD_APPROVER_HOME: join(base, 'admin-keys') }),
          process.execPath,
          join(app, 'bin', 'guard.js'),
          ...args,
        ],
        { cwd: base },
      ),
    );
  const raw = async (who: 'agent' | 'root', msg: object): Promise<Record<string, unknown>> => {
    const prefix = who === 'agent' ? ['setpriv', ...drop('agent')] : ['env', '-i'];
    const r = await collect(
      spawn(
        prefix[0]!,
        [
          ...prefix.slice(1),
          `PATH=${PATH}`,
          `GUARD_SOCKET=${sock}`,
          process.execPath,
          join(base, 'raw.mjs'),
          JSON.stringify(msg),
        ],
        { cwd: base },
      ),
    );
    if (r.code !== 0) throw new Error(`raw client failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout.trim()) as Record<string, unknown>;
  };
  const ledger = async (): Promise<LedgerEntry[]> => {
    const r = await raw('root', { type: 'history', limit: 10000 });
    return (r['data'] as { records: LedgerEntry[] }).records;
  };
  /** `approver enroll` arguments for `name` in group ops, with its passphrase file. */
  const enrollArgs = (name: string, passFile: string, ...extra: string[]): string[] => [
    'approver',
    'enroll',
    '--name',
    name,
    '--group',
    'ops',
    '--passphrase-file',
    passFile,
    ...extra,
  ];
  const fingerprintOf = (record: string): string =>
    (JSON.parse(sh('cat', [record])) as { fingerprint: string }).fingerprint;

  beforeAll(async () => {
    sh('groupadd', [names.group]);
    created.push(`group:${names.group}`);
    for (const u of [names.daemon, names.agent]) {
      sh('useradd', ['-m', '-U', '-G', names.group, '-s', '/bin/sh', u]);
      created.push(u);
    }
    for (const k of ['daemon', 'agent'] as const) {
      uid[k] = Number(sh('id', ['-u', names[k]]));
      gid[k] = Number(sh('id', ['-g', names[k]]));
    }
    const groupGid = Number(sh('getent', ['group', names.group]).split(':')[2]);
    base = mkdtempSync('/tmp/gen-');
    chmodSync(base, 0o755);
    app = installApp(base);
    writeFileSync(join(base, 'raw.mjs'), RAW_CLIENT, { mode: 0o644 });
    home = join(base, 'home');
    mkdirSync(join(home, 'policies'), { recursive: true, mode: 0o700 });
    writeFileSync(join(home, 'policies', 'test.yaml'), TEST_POLICY, { mode: 0o600 });
    for (const p of [home, join(home, 'policies'), join(home, 'policies', 'test.yaml')])
      chownSync(p, uid['daemon']!, gid['daemon']!);
    const sockDir = join(base, 'sock');
    mkdirSync(sockDir);
    chownSync(sockDir, uid['daemon']!, groupGid);
    chmodSync(sockDir, 0o2710);
    sock = join(sockDir, 'guard.sock');
    daemon = await startDaemonAs(
      drop('daemon'),
      { PATH, HOME: `/home/${names.daemon}`, GUARD_HOME: home, GUARD_SOCKET: sock, GUARD_KEYSTORE: 'file' },
      app,
      base,
    );
  }, 120_000);

  afterAll(() => tearDown(daemon, created, base));

  it("an agent user's enrollment is refused and recorded; the administrator's lands as a ledger record", async () => {
    const registry = join(home, 'approvers');

    // the agent tries to become the first approver while the registry is empty
    const agentPass = join(agentHome(), 'pass');
    writeFileSync(agentPass, 'correct horse mallory battery staple\n', { mode: 0o600 });
    chownSync(agentPass, uid['agent']!, gid['agent']!);
    const agent = await guardAsAgent(enrollArgs('mallory', agentPass));
    expect(agent.code, agent.stdout).not.toBe(0);
    expect(agent.stderr).toMatch(/enrollment refused: user gen-agent-\w+ \(uid \d+\) may not enroll approvers/);
    expect(existsSync(join(registry, 'mallory.json'))).toBe(false);
    // nothing useful is left behind: the key it created is removed with the refused registration
    expect(existsSync(join(agentHome(), '.config', 'guard-approver', 'mallory.key'))).toBe(false);

    // the same through a hand-made protocol message
    const forged = await raw('agent', {
      type: 'enroll',
      candidate: { name: 'mallory2', groups: ['ops'], publicKey: randomBytes(32).toString('base64') },
    });
    expect(forged['type']).toBe('error');
    expect(forged['code']).toBe('refused');
    expect(existsSync(join(registry, 'mallory2.json'))).toBe(false);

    // the administrator (root) enrolls the first approver, then a second one it endorses
    writeFileSync(join(base, 'alice.pass'), 'correct horse alice battery staple\n', { mode: 0o600 });
    writeFileSync(join(base, 'bob.pass'), 'correct horse bob battery staple\n', { mode: 0o600 });
    const alice = await guardAsAdmin(enrollArgs('alice', join(base, 'alice.pass'), '--os-user', 'alice-os'));
    expect(alice.code, alice.stderr).toBe(0);
    expect(alice.stdout).toMatch(/enrolled approver alice \(bootstrap approver\)/);
    const bob = await guardAsAdmin(
      enrollArgs(
        'bob',
        join(base, 'bob.pass'),
        '--endorse-by',
        'alice',
        '--endorser-passphrase-file',
        join(base, 'alice.pass'),
      ),
    );
    expect(bob.code, bob.stderr).toBe(0);
    // written by the daemon into its own registry
    expect(statSync(join(registry, 'alice.json')).uid).toBe(uid['daemon']);
    expect(statSync(join(registry, 'bob.json')).uid).toBe(uid['daemon']);

    const records = await ledger();
    const refused = records.filter((r) => r.type === 'approver_enroll_refused');
    expect(refused.map((r) => r.payload['name'])).toEqual(['mallory', 'mallory2']);
    for (const r of refused) expect(r.payload['peer']).toEqual({ uid: uid['agent'], user: names.agent });
    const enrolled = records.filter((r) => r.type === 'approver_enrolled');
    expect(enrolled.map((r) => r.payload)).toEqual([
      {
        name: 'alice',
        groups: ['ops'],
        key: fingerprintOf(join(registry, 'alice.json')),
        osUser: 'alice-os',
        peer: { uid: 0, user: 'root' },
        enrolledAt: expect.any(String) as unknown,
      },
      {
        name: 'bob',
        groups: ['ops'],
        key: fingerprintOf(join(registry, 'bob.json')),
        osUser: 'root',
        endorsedBy: 'alice',
        peer: { uid: 0, user: 'root' },
        enrolledAt: expect.any(String) as unknown,
      },
    ]);
    // no secret reaches the ledger: no passphrase, no key file content
    const text = JSON.stringify(records);
    expect(text).not.toMatch(/battery staple/);
    const keyFile = sh('cat', [join(base, 'admin-keys', 'alice.key')]);
    expect(keyFile.length).toBeGreaterThan(0);
    for (const part of keyFile.split(/[^A-Za-z0-9+/=]+/).filter((p) => p.length >= 24))
      expect(text).not.toContain(part);
  }, 240_000);

  it('an enrollment the registry refuses is recorded too (no endorsement once an approver exists)', async () => {
    writeFileSync(join(base, 'carol.pass'), 'correct horse carol battery staple\n', { mode: 0o600 });
    const r = await guardAsAdmin(enrollArgs('carol', join(base, 'carol.pass')));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/needs an endorsement/);
    expect(existsSync(join(home, 'approvers', 'carol.json'))).toBe(false);
    const last = (await ledger()).filter((x) => x.type === 'approver_enroll_refused').at(-1)!;
    expect(last.payload['name']).toBe('carol');
    expect(last.payload['peer']).toEqual({ uid: 0, user: 'root' });

    // the new record types are part of a ledger that verifies
    const pub = join(home, 'ledger.pub');
    const out = await guardAsDaemonUser(['ledger', 'pubkey', '--out', pub]);
    expect(out.code, out.stderr).toBe(0);
    const v = await guardAsDaemonUser(['ledger', 'verify', '--db', join(home, 'ledger.db'), '--pubkey', pub]);
    expect(v.code, v.stderr + v.stdout).toBe(0);
  }, 120_000);

  it('update, rotate and remove go through the daemon, are recorded, and an agent user is refused', async () => {
    const registry = join(home, 'approvers');
    const passOf = (n: string) => join(base, `${n}.pass`);
    // an agent user cannot remove an approver, by the CLI or by a hand-made message
    const agent = await guardAsAgent(['approver', 'remove', 'alice', '--reason', 'mine now']);
    expect(agent.code).not.toBe(0);
    const forged = await raw('agent', { type: 'approver_remove', name: 'alice', reason: 'x' });
    expect(forged['code']).toBe('refused');
    expect(existsSync(registry) && JSON.parse(sh('cat', [join(registry, 'alice.json')])).removed).toBeUndefined();

    // bob gets a Slack id, signed by alice
    const up = await guardAsAdmin([
      'approver',
      'update',
      'bob',
      '--slack-user-id',
      'U0BOB',
      '--endorse-by',
      'alice',
      '--endorser-passphrase-file',
      passOf('alice'),
    ]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/updated approver bob \(signed by alice\)/);
    // bob rotates his key: the key file is replaced and the registry names the new key
    const oldFp = fingerprintOf(join(registry, 'bob.json'));
    writeFileSync(passOf('bob2'), 'correct horse bob second staple\n', { mode: 0o600 });
    const rot = await guardAsAdmin([
      'approver',
      'rotate',
      'bob',
      '--passphrase-file',
      passOf('bob'),
      '--new-passphrase-file',
      passOf('bob2'),
    ]);
    expect(rot.code, rot.stderr).toBe(0);
    const newFp = fingerprintOf(join(registry, 'bob.json'));
    expect(newFp).not.toBe(oldFp);
    // the last approver cannot go; bob can
    const rm = await guardAsAdmin(['approver', 'remove', 'bob', '--reason', 'left the team']);
    expect(rm.code, rm.stderr).toBe(0);
    expect(JSON.parse(sh('cat', [join(registry, 'bob.json')])).removed.reason).toBe('left the team');
    const last = await guardAsAdmin(['approver', 'remove', 'alice', '--reason', 'x']);
    expect(last.code).not.toBe(0);
    expect(last.stderr).toMatch(/last approver/);

    const records = await ledger();
    const of = (t: string) => records.filter((r) => r.type === t).map((r) => r.payload);
    expect(of('approver_updated')).toEqual([
      expect.objectContaining({ name: 'bob', kind: 'update', signer: 'alice', peer: { uid: 0, user: 'root' } }),
    ]);
    expect((of('approver_updated')[0]!['after'] as Record<string, unknown>)['slackUserId']).toBe('U0BOB');
    expect(of('approver_rotated')).toEqual([expect.objectContaining({ name: 'bob', kind: 'rotate', signer: 'bob' })]);
    const rotated = of('approver_rotated')[0]!;
    expect((rotated['before'] as Record<string, unknown>)['key']).toBe(oldFp);
    expect((rotated['after'] as Record<string, unknown>)['key']).toBe(newFp);
    expect(of('approver_removed')).toEqual([
      expect.objectContaining({ approver_id: 'bob', by: 'root', reason: 'left the team', key: newFp }),
    ]);
    const refused = of('approver_change_refused');
    expect(refused.filter((p) => (p['peer'] as { uid: number }).uid === uid['agent'])).toHaveLength(2);
    expect(refused.some((p) => /last approver/.test(String(p['reason'])))).toBe(true);
    expect(JSON.stringify(records)).not.toMatch(/staple/);
    const v = await guardAsDaemonUser([
      'ledger',
      'verify',
      '--db',
      join(home, 'ledger.db'),
      '--pubkey',
      join(home, 'ledger.pub'),
    ]);
    expect(v.code, v.stderr + v.stdout).toBe(0);
  }, 240_000);
});
