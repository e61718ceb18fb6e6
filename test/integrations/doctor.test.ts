/** `guard doctor` through the built CLI: each check's line, its fix hint, and the exit code. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hookChecks } from '../../src/integrations/doctor/hooks.js';
import { BIN, NATIVE_BIN, NATIVE_BUILT, runCli } from '../helpers/cli.js';
import { install, startDaemon, type Install } from './helpers.js';

let inst: Install;
let stop: (() => Promise<void>) | undefined;
beforeEach(() => {
  inst = install();
  inst.env['HOME'] = join(inst.home, '..', 'user');
  mkdirSync(inst.env['HOME']);
  stop = undefined;
});
afterEach(async () => {
  await stop?.();
  inst.cleanup();
});

interface Report {
  ok: boolean;
  checks: { name: string; status: string; detail: string; hint?: string }[];
}

const doctor = async (...args: string[]) => runCli(['doctor', ...args], { env: inst.env, cwd: inst.work });

describe('guard doctor', () => {
  it('says which exec client is active: the native one when it was built', async () => {
    const json = JSON.parse((await doctor('--json')).stdout.toString()) as Report;
    const check = json.checks.find((c) => c.name === 'exec client');
    expect(check?.detail).toBe(
      NATIVE_BUILT ? `native (${NATIVE_BIN}): exec, hook and requests` : `node (${BIN}): no native client next to it`,
    );
  });

  it('reports a broken policy with the file, the fix hint and exit 70', async () => {
    stop = await startDaemon(inst.env);
    const healthy = await doctor();
    expect(healthy.status, healthy.stdout.toString()).toBe(0);
    expect(healthy.stdout.toString()).toMatch(/^ok +daemon +reachable/m);
    expect(healthy.stdout.toString()).toMatch(/^ok +policy +loads/m);

    const dir = join(inst.home, 'policies');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'broken.yaml'), 'version: 1\nrules:\n  - id: Not Valid\n');
    const r = await doctor();
    expect(r.status).toBe(70);
    const out = r.stdout.toString();
    expect(out).toMatch(/^fail +policy +does not load: .*/m);
    expect(out).toContain(`${join(dir, 'broken.yaml')}:3:`);
    expect(out).toMatch(/fix: fix the policy file \(check it with `guard policy lint`\)/);
    expect(out).toMatch(/guard doctor: \d+ check\(s\) failed/);

    const json = JSON.parse((await doctor('--json')).stdout.toString()) as Report;
    expect(json.ok).toBe(false);
    const policy = json.checks.find((c) => c.name === 'policy' && c.status === 'fail');
    expect(policy?.hint).toMatch(/guard policy lint/);
  });

  it('verifies the ledger against the pinned key and names the key store; a bad pinned key fails', async () => {
    stop = await startDaemon(inst.env);
    const pub = join(inst.home, 'ledger.pub');
    expect((await runCli(['ledger', 'pubkey', '--out', pub], { env: inst.env })).status).toBe(0);
    const good = JSON.parse((await doctor('--json')).stdout.toString()) as Report;
    expect(good.checks.find((c) => c.name === 'ledger')).toMatchObject({
      status: 'ok',
      detail: `verifies against the pinned key in ${pub}`,
    });
    expect(good.checks.find((c) => c.name === 'keystore')?.detail).toMatch(/keychain|0600 file/);

    writeFileSync(pub, 'not a key\n');
    const bad = JSON.parse((await doctor('--json')).stdout.toString()) as Report;
    const ledger = bad.checks.find((c) => c.name === 'ledger');
    expect(ledger?.status).toBe('fail');
    // the first line `guard ledger verify` prints, as before
    expect(ledger?.detail).toMatch(
      new RegExp(`^does not verify: guard: ${pub.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `),
    );
    expect(ledger?.detail).not.toContain('\n');
  });

  it('fails when the daemon is down, warns about an agent without the hook and an unpinned ledger', async () => {
    mkdirSync(join(inst.env['HOME']!, '.claude'));
    const r = await doctor('--json');
    expect(r.status).toBe(70);
    const json = JSON.parse(r.stdout.toString()) as Report;
    expect(json.checks.find((c) => c.name === 'daemon')).toMatchObject({
      status: 'fail',
      hint: expect.stringMatching(/guard daemon start/) as unknown,
    });
    expect(json.checks.find((c) => c.name === 'hook claude-code')).toMatchObject({
      status: 'warn',
      hint: 'guard init --agent claude-code',
    });
    expect(json.checks.find((c) => c.name === 'ledger')).toMatchObject({ status: 'warn' });
  });
});

describe('doctor: agent hooks', () => {
  const guard = [BIN];
  const write = (file: string, value: unknown): void => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(value));
  };
  const hookEntry = (command: string) => ({
    hooks: { PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command }] }] },
  });

  it('finds the hook in a project settings file', () => {
    write(join(inst.work, '.claude', 'settings.local.json'), hookEntry(`'${BIN}' hook claude-code || exit 2`));
    const [check] = hookChecks({ HOME: inst.env['HOME'] }, guard, inst.work);
    expect(check).toMatchObject({ name: 'hook claude-code', status: 'ok' });
    expect(check!.detail).toContain('settings.local.json');
  });

  it('fails on disableAllHooks and on a hook that starts no executable guard', () => {
    write(join(inst.env['HOME']!, '.claude', 'settings.json'), {
      ...hookEntry(`'${BIN}' hook claude-code`),
      disableAllHooks: true,
    });
    expect(hookChecks({ HOME: inst.env['HOME'] }, guard, inst.work)[0]).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/disableAllHooks/) as unknown,
    });
    write(
      join(inst.env['HOME']!, '.claude', 'settings.json'),
      hookEntry("'/gone/bin/guard' hook claude-code || exit 2"),
    );
    expect(hookChecks({ HOME: inst.env['HOME'] }, guard, inst.work)[0]).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/\/gone\/bin\/guard, which is not an executable guard/) as unknown,
    });
  });

  it('fails on a Codex hook that Codex has not trusted yet, and passes once config.toml records the trust', () => {
    const hooksFile = join(inst.env['HOME']!, '.codex', 'hooks.json');
    write(hooksFile, hookEntry(`'${BIN}' hook codex || exit 2`));
    const env = { HOME: inst.env['HOME'] };
    expect(hookChecks(env, guard, inst.work)[0]).toMatchObject({
      name: 'hook codex',
      status: 'fail',
      detail: expect.stringMatching(/has not trusted it/) as unknown,
    });
    const config = join(inst.env['HOME']!, '.codex', 'config.toml');
    writeFileSync(
      config,
      `model = "x"\n\n[hooks.state."/elsewhere/hooks.json:pre_tool_use:0:0"]\ntrusted_hash = "sha256:00"\n`,
    );
    expect(hookChecks(env, guard, inst.work)[0]).toMatchObject({ status: 'fail' });
    writeFileSync(
      config,
      `model = "x"\n\n[hooks.state."${hooksFile}:pre_tool_use:0:0"]\nenabled = true\ntrusted_hash = "sha256:${'ab'.repeat(32)}"\n`,
    );
    expect(hookChecks(env, guard, inst.work)[0]).toMatchObject({ name: 'hook codex', status: 'ok' });
  });

  it('says nothing about agents that are not used here', () => {
    expect(hookChecks({ HOME: inst.env['HOME'] }, guard, inst.work)).toEqual([]);
  });
});
