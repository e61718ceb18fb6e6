/**
 * The native exec client (dist/guard-native): it handles allowed and denied commands itself,
 * hands everything else to the Node client in the same process (GUARD_NATIVE_TRACE=1 makes it
 * say so), sends the same quick context as the Node client, and never runs a command the daemon
 * did not answer `run` for. Real daemon, real processes; a scripted socket server stands in for
 * the daemon only where a test needs answers a real daemon never gives.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/daemon/framing.js';
import { hasExecEnds, Rig } from '../daemon/helpers.js';
import { FakeDaemon } from '../helpers/fake-daemon.js';
import { BIN, collect, FIXTURES, NATIVE_BIN, NATIVE_BUILT, type CliResult } from '../helpers/cli.js';

const HANDED = /guard-native: handing over to the Node client/;
const MARK = join(FIXTURES, '..', 'daemon', 'fixtures', 'mark');

function native(args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<CliResult> {
  return collect(spawn(NATIVE_BIN, args, { env: { ...env, GUARD_NATIVE_TRACE: '1' }, cwd }));
}

function node(args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<CliResult> {
  return collect(spawn(process.execPath, [BIN, ...args], { env, cwd }));
}

const suite = NATIVE_BUILT ? describe : describe.skip;
const title = NATIVE_BUILT ? 'native exec client' : 'native exec client (SKIPPED: not built, no Rust toolchain)';

suite(`${title}: with the real daemon`, () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = new Rig();
    await rig.startDaemon();
  });
  afterAll(() => rig.cleanup());

  it('runs an allowed command itself and records request, decision, start and exit', async () => {
    const r = await native(['exec', '--', MARK, rig.marker, 'hello'], rig.env);
    expect(r.stderr.toString()).not.toMatch(HANDED);
    expect(r.status).toBe(0);
    expect(rig.marks().filter((m) => m.startsWith('hello'))).toHaveLength(1);
    const recs = await rig.ledger(hasExecEnds(1));
    const end = recs.find((x) => x.type === 'exec_end')!;
    expect(end.payload).toMatchObject({ exitCode: 0, signal: null });
    expect(recs.map((x) => x.type)).toEqual(expect.arrayContaining(['request', 'decision', 'exec_start', 'exec_end']));
  });

  it('refuses a denied command itself: 77, the reason, nothing runs', async () => {
    const before = rig.marks().length;
    const r = await native(['exec', '--', MARK, rig.marker, 'deny-me'], rig.env);
    expect(r.stderr.toString()).not.toMatch(HANDED);
    expect(r.status).toBe(77);
    expect(r.stderr.toString()).toMatch(/^guard: denied by policy: .*t\.deny.*; nothing was run$/m);
    const json = await native(['exec', '--json-errors', '--', MARK, rig.marker, 'deny-me'], rig.env);
    expect(json.status).toBe(77);
    expect(JSON.parse(json.stderr.toString())).toMatchObject({ guard: 'denied', exit_code: 77, rules: ['t.deny'] });
    expect(rig.marks()).toHaveLength(before);
  });

  it('hands a held command to the Node client, which records one request and runs nothing', async () => {
    const before = rig.marks().length;
    const r = await native(['exec', '--no-wait', '--', MARK, rig.marker, 'approve-me'], rig.env);
    expect(r.stderr.toString()).toMatch(HANDED);
    expect(r.status).toBe(75);
    expect(r.stdout.toString()).toMatch(/^rq-[0-9a-f]{12}$/m);
    expect(rig.marks()).toHaveLength(before);
  });

  it('hands --help, --timeout and unknown flags to the Node client', async () => {
    const help = await native(['exec', '--help'], rig.env);
    expect(help.stderr.toString()).toMatch(HANDED);
    expect(help.status).toBe(0);
    expect(help.stdout.toString()).toMatch(/Usage: guard exec/);
    const bad = await native(['exec', '--frobnicate', '--', MARK, rig.marker, 'x'], rig.env);
    expect(bad.status).toBe(64);
    const timed = await native(['exec', '--timeout', '5s', '--', MARK, rig.marker, 'timed'], rig.env);
    expect(timed.stderr.toString()).toMatch(HANDED);
    expect(timed.status).toBe(0);
  });

  it('hands non-UTF-8 arguments to the Node client, which passes the exact bytes', async () => {
    const r = await collect(
      spawn('/bin/bash', ['-c', `exec "$NATIVE" exec -- ${join(FIXTURES, 'argv-hex.sh')} $'\\xff' ok`], {
        env: { ...rig.env, NATIVE: NATIVE_BIN, GUARD_NATIVE_TRACE: '1' },
      }),
    );
    expect(r.stderr.toString()).toMatch(/handing over to the Node client: an argument that is not UTF-8/);
    expect(r.status).toBe(0);
    expect(r.stdout.toString().trim()).toBe(
      Buffer.concat([
        Buffer.from(`/bin/sh\0${join(FIXTURES, 'argv-hex.sh')}\0`),
        Buffer.from([0xff, 0]),
        Buffer.from('ok\0'),
      ]).toString('hex'),
    );
  });
});

suite(`${title}: without a daemon`, () => {
  it('bin/guard (through a symlink, as npm installs it) picks the native client for exec only', async () => {
    const home = mkdtempSync(join(tmpdir(), 'gn-'));
    try {
      symlinkSync(join(BIN, '..', 'guard'), join(home, 'guard'));
      const env = { ...process.env, GUARD_HOME: join(home, 'h'), GUARD_NO_AUTOSTART: '1', GUARD_NATIVE_TRACE: '1' };
      const exec = await collect(spawn(join(home, 'guard'), ['exec', '--', 'true'], { env }));
      expect(exec.stderr.toString()).toMatch(HANDED);
      expect(exec.status).toBe(70);
      const version = await collect(spawn(join(home, 'guard'), ['--version'], { env }));
      expect(version.stderr.toString()).not.toMatch(HANDED);
      expect(version.stdout.toString().trim()).toMatch(/^\d+\.\d+\.\d+/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('hands over, and the Node client fails closed with its message', async () => {
    const home = mkdtempSync(join(tmpdir(), 'gn-'));
    try {
      const marker = join(home, 'ran');
      const r = await native(['exec', '--', 'touch', marker], {
        ...process.env,
        GUARD_HOME: home,
        GUARD_NO_AUTOSTART: '1',
      });
      expect(r.stderr.toString()).toMatch(HANDED);
      expect(r.status).toBe(70);
      expect(r.stderr.toString()).toMatch(/guard daemon is not reachable/);
      expect(existsSync(marker)).toBe(false);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

const deny = (m: Record<string, unknown>) => ({
  re: m['id'],
  type: 'result',
  data: { outcome: 'deny', requestId: 'rq-000000000001', reasons: ['scripted'], rules: ['t'], hint: 'h' },
});

suite(`${title}: protocol`, () => {
  let fake: FakeDaemon | undefined;
  afterEach(() => fake?.stop());

  it('sends exactly the message the Node client sends (quick context included)', async () => {
    fake = new FakeDaemon((m, _n, sock) => sock.write(encodeFrame(deny(m))));
    await fake.start();
    const repo = mkdtempSync(join(tmpdir(), 'gnr-'));
    try {
      mkdirSync(join(repo, '.git', 'refs', 'heads', 'feature'), { recursive: true });
      writeFileSync(join(repo, '.git', 'HEAD'), 'ref: refs/heads/feature/ABC-12-thing\n');
      writeFileSync(join(repo, '.git', 'refs', 'heads', 'feature', 'ABC-12-thing'), `${'a'.repeat(40)}\n`);
      writeFileSync(
        join(repo, '.git', 'config'),
        '[core]\n\tbare = false\n[remote "origin"]\n\turl = https://user:tok@example.com/r.git\n[branch "feature/ABC-12-thing"]\n\tremote = origin\n',
      );
      mkdirSync(join(repo, 'sub'));
      const env = fake.env({
        CLAUDECODE: '1',
        CLAUDE_CODE_SESSION_ID: 'sess-1',
        GITHUB_ACTIONS: 'true',
        GITHUB_REPOSITORY: 'o/r',
        GITHUB_RUN_ID: '77',
        TERM_PROGRAM: 'vt',
        AWS_PROFILE: 'dev',
        SUDO_USER: 'alice',
      });
      const argv = [
        'exec',
        '--reason',
        'why é',
        '--ticket=T-1',
        '--',
        'sh',
        '-c',
        'echo "a\tb" 🎉',
        '--region',
        'eu-1',
      ];
      const viaNode = await node(argv, env, join(repo, 'sub'));
      const viaNative = await native(argv, env, join(repo, 'sub'));
      expect(viaNode.status).toBe(77);
      expect(viaNative.status).toBe(77);
      expect(viaNative.stderr.toString()).not.toMatch(HANDED);
      expect(viaNative.stderr.toString()).toBe(viaNode.stderr.toString());
      const [a, b] = fake.received.filter((m) => m['type'] === 'exec');
      const strip = (m: Record<string, unknown>) => {
        const c = structuredClone(m) as { context: { requester: Record<string, unknown> }; envNames?: string[] };
        delete c.context.requester['pid'];
        // the one variable the two runs do not share
        c.envNames = c.envNames?.filter((n) => n !== 'GUARD_NATIVE_TRACE');
        return c;
      };
      expect(strip(b!)).toEqual(strip(a!));
      expect((a!['context'] as Record<string, unknown>)['ticket']).toBe('ABC-12');
      expect(JSON.stringify(b)).not.toContain('tok@');
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });

  it.each([
    ['a small packed-refs', 10],
    ['a packed-refs past the quick bound', 200_000],
  ])('reads a branch from %s exactly as the Node client does', async (_name, count) => {
    fake = new FakeDaemon((m, _n, sock) => sock.write(encodeFrame(deny(m))));
    await fake.start();
    const repo = mkdtempSync(join(tmpdir(), 'gnr-'));
    try {
      mkdirSync(join(repo, '.git'), { recursive: true });
      writeFileSync(join(repo, '.git', 'HEAD'), 'ref: refs/heads/main\n');
      const refs = Array.from({ length: count }, (_, i) => `${'0'.repeat(40)} refs/tags/t${i}`);
      writeFileSync(
        join(repo, '.git', 'packed-refs'),
        `# pack-refs with: peeled\n${'b'.repeat(40)} refs/heads/main\n${refs.join('\n')}\n`,
      );
      const viaNode = await node(['exec', '--', 'true'], fake.env(), repo);
      const viaNative = await native(['exec', '--', 'true'], fake.env(), repo);
      expect([viaNode.status, viaNative.status]).toEqual([77, 77]);
      const [a, b] = fake.received
        .filter((m) => m['type'] === 'exec')
        .map((m) => m['context'] as Record<string, unknown>);
      expect(b!['git']).toEqual(a!['git']);
      expect((a!['git'] as Record<string, unknown>)['commit']).toBe(count > 1000 ? undefined : 'b'.repeat(40));
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });

  it('reports the exit of what it ran in exec_end', async () => {
    fake = new FakeDaemon((m, _n, sock) =>
      sock.write(
        encodeFrame({
          re: m['id'],
          type: 'result',
          data: { outcome: 'run', execId: 'ex-1', requestId: 'rq-000000000001' },
        }),
      ),
    );
    await fake.start();
    const r = await native(['exec', '--', 'sh', '-c', 'exit 3'], fake.env());
    expect(r.status).toBe(3);
    await new Promise<void>((res) => {
      const check = (): void =>
        fake!.received.some((m) => m['type'] === 'exec_end') ? res() : void setImmediate(check);
      check();
    });
    expect(fake.received.find((m) => m['type'] === 'exec_end')).toMatchObject({
      type: 'exec_end',
      execId: 'ex-1',
      exitCode: 3,
      signal: null,
      id: 2,
    });
  });

  const odd: [string, (m: Record<string, unknown>, sock: Socket) => void][] = [
    ['a body that is not JSON', (_m, sock) => sock.write(Buffer.from([0, 0, 0, 2, 0x7b, 0x7b]))],
    ['an oversized frame', (_m, sock) => sock.write(Buffer.from([0x7f, 0, 0, 0]))],
    [
      'a frame that is not a daemon message',
      (m, sock) =>
        sock.write(
          encodeFrame({ re: String(m['id']), type: 'result', data: { outcome: 'run', execId: 'e', requestId: 'r' } }),
        ),
    ],
    [
      'need_context',
      (m, sock) => sock.write(encodeFrame({ re: m['id'], type: 'result', data: { outcome: 'need_context' } })),
    ],
    [
      'an unknown outcome',
      (m, sock) => sock.write(encodeFrame({ re: m['id'], type: 'result', data: { outcome: 'maybe' } })),
    ],
    [
      'run without an exec id',
      (m, sock) =>
        sock.write(encodeFrame({ re: m['id'], type: 'result', data: { outcome: 'run', requestId: 'rq-1' } })),
    ],
    [
      'a run event',
      (m, sock) =>
        sock.write(encodeFrame({ re: m['id'], type: 'event', data: { event: 'run', execId: 'e', requestId: 'r' } })),
    ],
    [
      'an error frame',
      (m, sock) => sock.write(encodeFrame({ re: m['id'], type: 'error', code: 'internal', message: 'x' })),
    ],
  ];
  for (const [name, reply] of odd) {
    it(`never runs on ${name}: hands over (the Node client then gets a deny)`, async () => {
      fake = new FakeDaemon((m, n, sock) => (n === 1 ? reply(m, sock) : sock.write(encodeFrame(deny(m)))));
      await fake.start();
      const marker = join(fake.dir, 'ran');
      const r = await native(['exec', '--', 'touch', marker], fake.env());
      expect(r.stderr.toString()).toMatch(HANDED);
      expect(r.status).toBe(77);
      expect(existsSync(marker)).toBe(false);
    });
  }

  it('fails closed when the daemon drops the connection before answering: 70, nothing runs', async () => {
    fake = new FakeDaemon((_m, _n, sock) => sock.destroy());
    await fake.start();
    const marker = join(fake.dir, 'ran');
    const r = await native(['exec', '--', 'touch', marker], fake.env());
    expect(r.stderr.toString()).not.toMatch(HANDED);
    expect(r.status).toBe(70);
    expect(r.stderr.toString()).toMatch(/^guard: lost the guard daemon: .*; nothing was run$/m);
    expect(existsSync(marker)).toBe(false);
  });
});
