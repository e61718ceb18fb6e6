/**
 * Daemon start-up with the built CLI: the example cache (warm start, invalidation, corrupt and
 * forged caches), autostart on a loaded machine, clients joining a daemon another client is
 * starting, `guard daemon stop` during start-up, and a failure message that tells the truth.
 * A daemon is held mid-start with SIGSTOP, so "slow" is as slow as the test wants, without sleeps.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { policyDigest } from '../../src/policy/load/compile.js';
import { exampleCachePath, openExampleCache } from '../../src/policy/load/example-cache.js';
import { BIN, MARK, Rig, TEST_POLICY } from '../daemon/helpers.js';

let rig: Rig;
const extra: ChildProcess[] = [];
beforeEach(() => {
  rig = new Rig();
});
afterEach(async () => {
  for (const c of extra.splice(0)) {
    c.kill('SIGCONT');
    c.kill('SIGKILL');
  }
  await rig.guard(['daemon', 'stop']);
  await rig.cleanup();
});

const logFile = (): string => join(rig.env['GUARD_HOME']!, 'daemon.log');
const log = (): string => (existsSync(logFile()) ? readFileSync(logFile(), 'utf8') : '');

/** Resolve when the file's text matches (watching its directory: no polling, no sleeps). */
function waitForText(file: string, re: RegExp, ms = 50_000): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  return new Promise((resolve, reject) => {
    const read = (): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');
    const w = watch(dirname(file), () => {
      if (re.test(read())) done();
    });
    const timer = setTimeout(() => {
      w.close();
      reject(new Error(`no ${re} in ${file} within ${ms} ms:\n${read()}`));
    }, ms);
    const done = (): void => {
      clearTimeout(timer);
      w.close();
      resolve();
    };
    if (re.test(read())) done();
  });
}

/** Two CPU-bound processes beside the test, as on a loaded 2-core machine. */
function loadMachine(): void {
  for (let i = 0; i < 2; i++) extra.push(spawn('yes', [], { stdio: ['ignore', 'ignore', 'ignore'] }));
}

/**
 * A foreground daemon (policy: the rig's) that reports its steps on fd 3; it is stopped with
 * SIGSTOP once it holds the lock and is building its engine: a daemon "still starting".
 */
async function frozenStartingDaemon(): Promise<ChildProcess> {
  const d = spawn(process.execPath, [BIN, 'daemon', 'start', '--foreground', '--policy', rig.policy], {
    env: { ...rig.env, GUARD_DAEMON_READY_FD: '3' },
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
  });
  extra.push(d);
  await new Promise<void>((resolve, reject) => {
    let text = '';
    const fd3 = d.stdio[3] as NodeJS.ReadableStream;
    const onData = (c: Buffer): void => {
      text += c.toString();
      if (!text.includes('step engine\n')) return;
      d.kill('SIGSTOP');
      fd3.off('data', onData);
      fd3.resume(); // keep draining the pipe once continued
      resolve();
    };
    fd3.on('data', onData);
    d.on('exit', (code) => reject(new Error(`daemon exited ${code}`)));
  });
  return d;
}

function autostartEnv(): NodeJS.ProcessEnv {
  const env = { ...rig.env };
  delete env['GUARD_NO_AUTOSTART'];
  return env;
}

function userPolicy(text: string): void {
  const dir = join(rig.env['GUARD_HOME']!, 'policies');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'test.yaml'), text);
}

const LAYERED = TEST_POLICY.replace(/^default: allow\non_unresolved: approve\n/m, '');

describe('daemon start-up', () => {
  it('a fresh home: the first commands of two clients succeed with the machine loaded, one daemon', async () => {
    loadMachine();
    userPolicy(LAYERED);
    const env = autostartEnv();
    const runs = await Promise.all(
      ['a', 'b'].map((l) => rig.guard(['exec', '--', MARK, rig.marker, `hello-${l}`], { env, timeoutMs: 300_000 })),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    expect(rig.marks()).toHaveLength(2);
    expect(log().match(/ listening on /g)).toHaveLength(1);
  }, 300_000);

  it('a client joins the daemon another client is starting, for as long as that takes', async () => {
    const d = await frozenStartingDaemon();
    userPolicy(LAYERED);
    const client = rig.spawnGuard(['exec', '--', MARK, rig.marker, 'hello'], { env: autostartEnv() });
    // the client's own daemon found the lock taken and quit; the client now waits for the frozen one
    await waitForText(logFile(), /a guard daemon is already running for this GUARD_HOME/);
    d.kill('SIGCONT');
    const r = await client.done;
    expect(r.code, r.stderr).toBe(0);
    expect(rig.marks()).toHaveLength(1);
  });

  it('`guard daemon stop` during start-up waits for the starting daemon and stops it', async () => {
    const d = await frozenStartingDaemon();
    const exited = new Promise((r) => d.on('exit', r));
    const stop = rig.spawnGuard(['daemon', 'stop']);
    await stop.waitFor(/the daemon \(pid \d+\) is starting; stopping it once it is up/);
    d.kill('SIGCONT');
    const r = await stop.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/daemon stopped \(pid \d+\)/);
    await exited;
    expect((await rig.guard(['daemon', 'status'])).stderr).toMatch(/no daemon is running/);
  });

  it('a daemon that cannot start: the first command says why, not "start it yourself"', async () => {
    userPolicy('version: 1\nrules:\n  - id: x\n    effect: maybe\n');
    const r = await rig.guard(['exec', '--', MARK, rig.marker, 'hello'], { env: autostartEnv() });
    expect(r.code).toBe(70);
    expect(r.stderr).toMatch(/could not be started; nothing was run: the daemon exited during start-up/);
    expect(r.stderr).toMatch(/test\.yaml:\d+:\d+/);
    expect(r.stderr).not.toMatch(/start it with/);
    expect(rig.marks()).toEqual([]);
  });
});

describe('a channel whose secret variable is unset', () => {
  it('is marked failed; the daemon starts, commands run, status and doctor report it', async () => {
    mkdirSync(rig.env['GUARD_HOME']!, { recursive: true });
    writeFileSync(
      join(rig.env['GUARD_HOME']!, 'config.yaml'),
      'channels:\n  teams: {workflow_url_ref: "env:GUARD_TEST_UNSET_FLOW", mode: notify}\n',
    );
    await rig.startDaemon();
    const r = await rig.exec('hello').done;
    expect(r.code, r.stderr).toBe(0);
    expect(rig.marks()).toHaveLength(1);
    const status = JSON.parse((await rig.guard(['daemon', 'status', '--json'])).stdout) as {
      channels: { name: string; ok: boolean; detail: string }[];
    };
    expect(status.channels.map((c) => [c.name, c.ok])).toEqual([['teams', false]]);
    expect(status.channels[0]!.detail).toMatch(/GUARD_TEST_UNSET_FLOW is not set/);
    const doctor = await rig.guard(['doctor', '--json']);
    expect(doctor.stdout).toMatch(/channel teams/);
    expect(doctor.stdout).toMatch(/GUARD_TEST_UNSET_FLOW is not set/);
    expect(log()).toMatch(
      /channel teams start failed: secret env:GUARD_TEST_UNSET_FLOW: environment variable GUARD_TEST_UNSET_FLOW is not set/,
    );
  });
});

describe('the policy example cache', () => {
  const cacheFile = (): string => exampleCachePath(rig.env);

  async function startAndStop(): Promise<void> {
    await rig.startDaemon();
    expect((await rig.guard(['daemon', 'stop'])).code).toBe(0);
  }

  it('a warm start takes the verdict from the cache and judges again once serving; any byte change misses', async () => {
    await startAndStop();
    expect(log().match(/rule examples judged$/gm)).toHaveLength(1);
    expect(existsSync(cacheFile())).toBe(true);

    await rig.startDaemon();
    expect(log()).toMatch(/rule examples vouched for by the example cache/);
    await waitForText(logFile(), /rule examples judged again: every one behaves/);
    expect((await rig.guard(['daemon', 'stop'])).code).toBe(0);

    writeFileSync(rig.policy, `${readFileSync(rig.policy, 'utf8')}#\n`);
    await startAndStop();
    expect(log().match(/rule examples judged$/gm)).toHaveLength(2);
  });

  it('a corrupt cache is ignored and rewritten', async () => {
    mkdirSync(dirname(cacheFile()), { recursive: true });
    for (const junk of [
      '{"format":"guard-policy-examples/1","checked":',
      '{"format":"guard-policy-examples/1","checked":["zz"]}',
      'null',
    ]) {
      writeFileSync(cacheFile(), junk);
      await startAndStop();
      expect(log()).not.toMatch(/vouched for/);
      expect(JSON.parse(readFileSync(cacheFile(), 'utf8'))).toMatchObject({
        checked: [expect.stringMatching(/^[0-9a-f]{64}$/)],
      });
    }
    expect(log().match(/rule examples judged$/gm)).toHaveLength(3);
  });

  it('a forged entry for a policy whose examples fail: the daemon stops itself and drops the entry', async () => {
    const broken = `${TEST_POLICY}  - id: t.broken
    description: an example that does not match its rule
    effect: deny
    match: { program: mark, any_arg: [broken-me] }
    examples: { match: ['mark something-else'] }
`;
    writeFileSync(rig.policy, broken);
    // without the cache: refused at start, naming the example
    const refused = await rig.guard(['daemon', 'start', '--foreground', '--policy', rig.policy]);
    expect(refused.code).toBe(70);
    expect(refused.stderr).toMatch(/policy\.yaml:\d+:\d+: rule t\.broken: example "mark something-else" should match/);

    // an agent writes the entry the cache would hold for that policy
    const { build } = JSON.parse((await rig.guard(['version', '--json'])).stdout) as { build: string };
    const cache = openExampleCache(rig.env, build);
    const key = cache.key(policyDigest([{ layer: 'explicit', file: rig.policy, text: broken }]))!;
    cache.add(key);

    // `guard check` (a dry run) takes the cache's word; `guard policy lint` never does
    const check = await rig.guard(['check', '--policy', rig.policy, '--', 'mark', 'x', 'broken-me']);
    expect(check.code, check.stderr).toBe(77);
    const lint = await rig.guard(['policy', 'lint', rig.policy]);
    expect(lint.code).toBe(70);
    expect(lint.stderr).toMatch(/rule t\.broken: example/);

    // the daemon starts on the cache's word, judges again once serving, and stops
    const d = await rig.startDaemon();
    const exited = new Promise((r) => d.on('exit', r));
    await exited;
    expect(log()).toMatch(/loaded on the example cache's word, but its examples fail/);
    expect(log()).toMatch(/stopping: the policy examples failed when judged again/);
    expect(openExampleCache(rig.env, build).has(key)).toBe(false);
    // and the next start refuses, as without the cache
    const again = await rig.guard(['daemon', 'start', '--foreground', '--policy', rig.policy]);
    expect(again.code).toBe(70);
  });
});
