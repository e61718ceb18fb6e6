/**
 * Hardened mode with two agent users: the daemon knows who is on the other end of its socket from
 * the kernel (SO_PEERCRED), not from the message. The second agent, speaking the raw protocol and
 * claiming the first one's requester and program digest, cannot consume, read, answer, revoke or
 * end the first one's requests, nor forge refusal records; its own records carry its verified uid.
 * Real OS users (useradd, setpriv), the built CLI, a real daemon. Skipped with a reason unless root.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_POLICY } from '../daemon/helpers.js';
import { collect, installApp, osUsersSkipReason, PATH, ROOT, startDaemonAs, tearDown, type Run } from './os-users.js';

type Reply = { type: 'result' | 'error' | 'event'; code?: string; message?: string; data?: Record<string, unknown> };

/** A raw protocol client: sends each message, prints the first non-event answer to each as a JSON line. */
const RAW_CLIENT = `
import { connect } from 'node:net';
const msgs = JSON.parse(process.argv[2]);
const s = connect({ path: process.env.GUARD_SOCKET });
let buf = Buffer.alloc(0); let i = 0;
const send = () => { if (i >= msgs.length) { s.end(); return; }
  const body = Buffer.from(JSON.stringify({ ...msgs[i], id: i + 1 })); const h = Buffer.alloc(4);
  h.writeUInt32BE(body.length); s.write(Buffer.concat([h, body])); };
s.on('connect', send);
s.on('data', (c) => { buf = Buffer.concat([buf, c]);
  while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
    const m = JSON.parse(buf.subarray(4, 4 + buf.readUInt32BE(0)).toString()); buf = buf.subarray(4 + buf.readUInt32BE(0));
    if (m.type === 'event') continue; console.log(JSON.stringify(m)); i++; send(); } });
s.on('error', (e) => { console.error(e.message); process.exit(2); });
`;

const SKIP = osUsersSkipReason();
if (SKIP !== undefined) console.log(`test/e2e/peer-identity.test.ts skipped: ${SKIP}`);

describe.skipIf(SKIP !== undefined)('hardened mode: two agent users on one daemon', () => {
  const tag = randomBytes(3).toString('hex');
  const names = { daemon: `gbd-d-${tag}`, a1: `gbd-a-${tag}`, a2: `gbd-b-${tag}`, group: `gbd-g-${tag}` };
  const uid: Record<string, number> = {};
  const gid: Record<string, number> = {};
  let base = '';
  let app = '';
  let home = '';
  let sock = '';
  let work = '';
  let daemon: ChildProcess | undefined;
  const created: string[] = [];

  const sh = (cmd: string, args: string[]): string => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const drop = (who: string): string[] => [
    `--reuid=${uid[who]}`,
    `--regid=${gid[who]}`,
    '--init-groups',
    '--',
    'env',
    '-i',
  ];
  const envOf = (who: string, extra: Record<string, string> = {}): string[] =>
    Object.entries({ PATH, HOME: `/home/${names[who as keyof typeof names]}`, GUARD_SOCKET: sock, ...extra }).map(
      ([k, v]) => `${k}=${v}`,
    );
  const guardAs = (who: 'a1' | 'a2', args: string[]): Promise<Run> =>
    collect(
      spawn('setpriv', [...drop(who), ...envOf(who), process.execPath, join(app, 'bin', 'guard.js'), ...args], {
        cwd: work,
      }),
    );
  /** Speak the raw protocol as `who`; one answer per message. */
  const rawAs = async (who: 'a1' | 'a2', msgs: object[]): Promise<Reply[]> => {
    const r = await collect(
      spawn('setpriv', [...drop(who), ...envOf(who), process.execPath, join(base, 'raw.mjs'), JSON.stringify(msgs)], {
        cwd: work,
      }),
    );
    if (r.code !== 0) throw new Error(`raw client failed (${r.code}): ${r.stderr}`);
    return r.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Reply);
  };
  /** The owner's view (root is the owner): the ledger through the socket. */
  const ledger = async (): Promise<{ type: string; payload: Record<string, unknown> }[]> => {
    const r = await collect(
      spawn(
        'env',
        [
          '-i',
          `PATH=${PATH}`,
          `GUARD_SOCKET=${sock}`,
          process.execPath,
          join(base, 'raw.mjs'),
          '[{"type":"history","limit":10000}]',
        ],
        { cwd: base },
      ),
    );
    return (JSON.parse(r.stdout.trim()) as { data: { records: { type: string; payload: Record<string, unknown> }[] } })
      .data.records;
  };

  beforeAll(async () => {
    sh('groupadd', [names.group]);
    created.push(`group:${names.group}`);
    for (const u of [names.daemon, names.a1, names.a2]) {
      sh('useradd', ['-m', '-U', '-G', names.group, '-s', '/bin/sh', u]);
      created.push(u);
    }
    for (const [k, u] of Object.entries(names)) {
      if (k === 'group') continue;
      uid[k] = Number(sh('id', ['-u', u]));
      gid[k] = Number(sh('id', ['-g', u]));
    }
    const groupGid = Number(sh('getent', ['group', names.group]).split(':')[2]);
    base = mkdtempSync('/tmp/gbd-');
    chmodSync(base, 0o755);
    app = installApp(base);
    copyFileSync(join(ROOT, 'test', 'daemon', 'fixtures', 'mark'), join(app, 'mark'));
    chmodSync(join(app, 'mark'), 0o755);
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
    work = join(base, 'work');
    mkdirSync(work, { mode: 0o777 });
    chmodSync(work, 0o777);
    const daemonEnv = {
      PATH,
      HOME: `/home/${names.daemon}`,
      GUARD_SOCKET: sock,
      GUARD_HOME: home,
      GUARD_KEYSTORE: 'file',
    };
    daemon = await startDaemonAs(drop('daemon'), daemonEnv, app, base);
  });

  afterAll(() => tearDown(daemon, created, base));

  it("the second agent cannot consume, read, answer, revoke or end the first agent's requests", async () => {
    // agent 1 raises a request that needs approval and leaves it waiting (--no-wait)
    const marker = join(work, 'a1-marker');
    const raised = await guardAs('a1', ['exec', '--no-wait', '--', join(app, 'mark'), marker, 'approve-me']);
    const id = /rq-[0-9a-f]{12}/.exec(raised.stderr + raised.stdout)?.[0];
    expect(id, raised.stderr).toBeDefined();
    const recorded = (await ledger()).find((r) => r.type === 'request' && r.payload['requestId'] === id)!;
    expect(recorded.payload['peer']).toEqual({ uid: uid['a1'], user: names.a1 });
    expect((recorded.payload['requester'] as { user: string }).user).toBe(names.a1);

    // agent 2 replays agent 1's exact claims: requester and program digest
    const claims = {
      type: 'exec',
      argv: [join(app, 'mark'), marker, 'approve-me'],
      cwd: work,
      context: {
        requester: recorded.payload['requester'],
        program: { sha256: recorded.payload['programSha256'] },
      },
      noWait: true,
    };
    const [forged] = await rawAs('a2', [claims]);
    expect(forged!.type).toBe('result');
    expect(forged!.data!['outcome']).toBe('pending'); // a new request of its own, not a run
    expect(forged!.data!['requestId']).not.toBe(id);
    const asOwn = (await ledger()).find(
      (r) => r.type === 'request' && r.payload['requestId'] === forged!.data!['requestId'],
    )!;
    expect((asOwn.payload['requester'] as { user: string }).user).toBe(names.a2);
    expect(asOwn.payload['peer']).toEqual({ uid: uid['a2'], user: names.a2 });

    const answers = await rawAs('a2', [
      { type: 'show', requestId: id },
      { type: 'wait', requestId: id, timeoutSeconds: 1 },
      { type: 'reply', requestId: id, message: 'forged answer' },
      { type: 'revoke', requestId: id },
      { type: 'history', requestId: id },
      { type: 'history' },
      { type: 'list', all: true },
      { type: 'report_refusal', requestId: id, approver: 'alice', reason: 'forged' },
    ]);
    expect(answers.slice(0, 5).map((a) => a.code)).toEqual([
      'not_found',
      'not_found',
      'not_found',
      'not_found',
      'not_found',
    ]);
    expect(answers[5]!.code).toBe('refused');
    const listed = (answers[6]!.data!['requests'] as { view: { id: string } }[]).map((d) => d.view.id);
    expect(listed).not.toContain(id);
    expect(listed).toContain(forged!.data!['requestId']);
    expect(answers[7]!.code).toBe('refused');

    // agent 1 still sees its own request, untouched
    const mine = await rawAs('a1', [{ type: 'show', requestId: id }]);
    expect((mine[0]!.data!['view'] as { state: string }).state).toBe('pending');

    // a command agent 1 was told to run: agent 2 cannot end it or make up its exit status
    const [run] = await rawAs('a1', [{ ...claims, argv: [join(app, 'mark'), marker, 'hello'], noWait: false }]);
    expect(run!.data!['outcome']).toBe('run');
    const execId = run!.data!['execId'] as string;
    const [end2] = await rawAs('a2', [{ type: 'exec_end', execId, exitCode: 0, durationMs: 1 }]);
    expect(end2!.code).toBe('not_found');
    const [end1] = await rawAs('a1', [{ type: 'exec_end', execId, exitCode: 3, durationMs: 1 }]);
    expect(end1!.type).toBe('result');
    const ends = (await ledger()).filter((r) => r.type === 'exec_end' && r.payload['execId'] === execId);
    expect(ends.map((r) => [r.payload['exitCode'], r.payload['peer']])).toEqual([
      [3, { uid: uid['a1'], user: names.a1 }],
    ]);
  });

  it('a check naming an approver as requester is recorded under the verified user', async () => {
    const [c] = await rawAs('a2', [
      { type: 'check', argv: ['true'], cwd: work, context: { requester: { user: 'alice-os' } } },
    ]);
    expect(c!.type).toBe('result');
    const rec = (await ledger()).find((r) => r.type === 'request' && r.payload['requestId'] === c!.data!['requestId'])!;
    expect((rec.payload['requester'] as { user: string }).user).toBe(names.a2);
    expect(rec.payload['peer']).toEqual({ uid: uid['a2'], user: names.a2 });
  });
});
