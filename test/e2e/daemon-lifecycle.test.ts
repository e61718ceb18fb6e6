/**
 * Daemon lifecycle with the built CLI: background start/status/stop, one daemon per home, stale
 * sockets, socket path limits, fail-closed when unreachable, autostart, policy reload.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MARK, Rig, TEST_POLICY } from '../daemon/helpers.js';

let rig: Rig;
beforeEach(() => {
  rig = new Rig();
});
afterEach(async () => {
  await rig.guard(['daemon', 'stop']);
  await rig.cleanup();
});

describe('daemon lifecycle', () => {
  it('starts in the background, reports status, refuses a second daemon, stops', async () => {
    const start = await rig.guard(['daemon', 'start', '--policy', rig.policy]);
    expect(start.code, start.stderr).toBe(0);
    const status = await rig.guard(['daemon', 'status', '--json']);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout) as { running: boolean; pid: number; policy: { digest: string } };
    expect(s.running).toBe(true);
    expect(s.policy.digest).toMatch(/^[0-9a-f]{64}$/);
    const second = await rig.guard(['daemon', 'start', '--foreground', '--policy', rig.policy]);
    expect(second.code).toBe(70);
    expect(second.stderr).toMatch(/already running/);
    expect((await rig.guard(['daemon', 'start', '--policy', rig.policy])).stderr).toMatch(
      /already running \(pid \d+\)/,
    );
    const stop = await rig.guard(['daemon', 'stop']);
    expect(stop.code, stop.stderr).toBe(0);
    const after = await rig.guard(['daemon', 'status']);
    expect(after.code).toBe(70);
    expect(after.stderr).toMatch(/no daemon is running/);
  });

  it('cleans up the socket and lock of a daemon that was killed', async () => {
    const d = await rig.startDaemon();
    d.kill('SIGKILL');
    await new Promise((r) => d.on('exit', r));
    await rig.startDaemon();
    expect((await rig.exec('hello').done).code).toBe(0);
    expect(rig.marks()).toHaveLength(1);
  });

  it('fails closed (70) and runs nothing when no daemon is reachable and autostart is off', async () => {
    const r = await rig.exec('hello').done;
    expect(r.code).toBe(70);
    expect(r.stderr).toMatch(/not reachable/);
    expect(r.stderr).toMatch(/guard daemon start/);
    expect(rig.marks()).toEqual([]);
  });

  it('autostarts exactly one daemon when many clients find none at once', async () => {
    const env = { ...rig.env };
    delete env['GUARD_NO_AUTOSTART'];
    mkdirSync(join(env['GUARD_HOME']!, 'policies'), { recursive: true });
    writeFileSync(
      join(env['GUARD_HOME']!, 'policies', 'test.yaml'),
      TEST_POLICY.replace(/^default: allow\non_unresolved: approve\n/m, ''),
    );
    const runs = await Promise.all(
      Array.from({ length: 8 }, () => rig.guard(['exec', '--', MARK, rig.marker, 'hello'], { env })),
    );
    expect(runs.map((r) => r.code)).toEqual(Array.from({ length: 8 }, () => 0));
    expect(rig.marks()).toHaveLength(8);
    const status = JSON.parse((await rig.guard(['daemon', 'status', '--json'])).stdout) as { pid: number };
    expect(status.pid).toBeGreaterThan(0);
    const log = readFileSync(join(env['GUARD_HOME']!, 'daemon.log'), 'utf8');
    expect(log.match(/ listening on /g)).toHaveLength(1);
  });

  it('refuses a socket path longer than Unix sockets allow, with a clear error', async () => {
    const long = join(rig.home, 'x'.repeat(120));
    const r = await rig.guard(['exec', '--', MARK, rig.marker, 'hello'], { env: { ...rig.env, GUARD_HOME: long } });
    expect(r.code).toBe(70);
    expect(r.stderr).toMatch(/Unix sockets allow at most/);
    expect(rig.marks()).toEqual([]);
  });

  it('refuses to start on a broken policy, naming file, line and column', async () => {
    writeFileSync(rig.policy, 'version: 1\nrules:\n  - id: x\n    effect: maybe\n');
    const r = await rig.guard(['daemon', 'start', '--foreground', '--policy', rig.policy]);
    expect(r.code).toBe(70);
    expect(r.stderr).toMatch(/policy\.yaml:\d+:\d+/);
  });

  it('starts on demand with the layered policy, reloads a changed policy and keeps the last good one on error', async () => {
    const env = { ...rig.env };
    delete env['GUARD_NO_AUTOSTART'];
    const userDir = join(env['GUARD_HOME']!, 'policies');
    mkdirSync(userDir, { recursive: true });
    const userPolicy = join(userDir, 'test.yaml');
    writeFileSync(userPolicy, TEST_POLICY.replace(/^default: allow\non_unresolved: approve\n/m, ''));
    const run = (label: string) => rig.guard(['exec', '--no-wait', '--', MARK, rig.marker, label], { env });
    expect((await run('deny-me')).code).toBe(77);
    expect((await run('hello')).code).toBe(0);
    expect(rig.marks()).toHaveLength(1);
    // tighten: hello now denied
    writeFileSync(
      userPolicy,
      `${TEST_POLICY.replace(/^default: allow\non_unresolved: approve\n/m, '')}  - id: t.hello\n    description: now denied\n    effect: deny\n    match: { program: mark, any_arg: [hello] }\n`,
    );
    const count = (recs: { type: string }[], type: string) => recs.filter((x) => x.type === type).length;
    await rig.ledger((recs) => count(recs, 'policy_changed') > 0);
    expect((await run('hello')).code).toBe(77);
    // break it: the last good policy stays in force and the error is recorded
    const errorsBefore = count(await rig.ledger(), 'policy_error');
    writeFileSync(userPolicy, 'version: 1\nrules: [oops\n');
    await rig.ledger((recs) => count(recs, 'policy_error') > errorsBefore);
    expect((await run('hello')).code).toBe(77);
    expect((await run('deny-me')).code).toBe(77);
    const types = (await rig.ledger()).map((x) => x.type);
    expect(types).toContain('policy_changed');
    expect(types).toContain('policy_error');
    const status = JSON.parse((await rig.guard(['daemon', 'status', '--json'])).stdout) as {
      policy: { lastError?: string };
    };
    expect(status.policy.lastError).toMatch(/test\.yaml/);
    expect(rig.marks()).toHaveLength(1);
  });
});
