/**
 * Loosening the policy needs an approver's signature (issue 22, decision 0121). An agent in
 * single-user mode can write the user layer and name GUARD_DEFAULT_POLICIES / GUARD_SYSTEM_POLICIES;
 * before this, `disable:` in the user layer turned `kubectl delete ns prod && rm -rf …` into ALLOW.
 * Unsigned files may only tighten; `guard policy sign` (real CLI, real approver key) makes a
 * reviewed file count; a change after signing voids it; `guard doctor` reports what was ignored.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, loadPolicy, type Engine } from '../../src/policy/index.js';
import { Rig } from '../daemon/helpers.js';

const LOOSEN = `version: 1
default: allow
on_unresolved: approve
disable: [infra.k8s-delete, fs.rm-recursive-force, fs.rm-root]
rules:
  - id: my.allow-rm
    description: the agent allows itself rm
    effect: allow
    match: { program: rm }
  - id: infra.k8s-scale-zero
    description: replaced with a looser quorum, TTL and uses
    effect: approve
    match: { program: kubectl, subcommand: scale }
    approval: { quorum: 1, ttl: 24h, uses: 99 }
`;
const PERMISSIVE = 'version: 1\ndefault: allow\non_unresolved: approve\nrules: []\n';
const ATTACK = 'kubectl delete ns prod && rm -rf ./build/../../..';

let rig: Rig;
let engine: Engine;
let userDir: string;
beforeAll(async () => {
  rig = new Rig();
  rig.env['GUARD_SYSTEM_POLICIES'] = join(rig.home, 'no-system');
  delete rig.env['GUARD_DEFAULT_POLICIES'];
  userDir = join(rig.env['GUARD_HOME']!, 'policies');
  mkdirSync(userDir, { recursive: true });
  engine = await createEngine();
  await rig.enroll('alice', ['ops']);
});
afterAll(() => rig.cleanup());

const judge = async (line: string, env: NodeJS.ProcessEnv = rig.env) => {
  const loaded = await loadPolicy({ env, cwd: rig.home, engine });
  const d = engine.evaluate(
    { argv: ['sh', '-c', line], shell: line, cwd: rig.home, requester: { user: 'agent' } },
    loaded.policy,
  );
  return { effect: d.effect, loaded };
};

/** `guard policy sign FILE` as alice, through the real CLI. */
async function sign(file: string): Promise<void> {
  const r = await rig.guard(['policy', 'sign', file, '--as', 'alice', '--passphrase-file', rig.passFile('alice')]);
  expect(r.code, r.stderr).toBe(0);
}

describe('an unsigned user layer may only tighten', () => {
  it('ignores disable, allow rules and replaced rules, and says so', async () => {
    writeFileSync(join(userDir, 'loosen.yaml'), LOOSEN);
    const { effect, loaded } = await judge(ATTACK);
    expect(effect).toBe('deny');
    expect(loaded.policy.disabled).toEqual([]);
    expect(loaded.loosenings.join('\n')).toMatch(
      /not signed by an approver .* may not disable rules \(infra\.k8s-delete\)/,
    );
    expect(loaded.loosenings.join('\n')).toMatch(/my\.allow-rm: .*allow rule there is ignored/);
    expect(loaded.loosenings.join('\n')).toMatch(/rule infra\.k8s-scale-zero: .* may not replace a rule/);
    const doctor = await rig.guard(['doctor']);
    expect(doctor.stdout + doctor.stderr).toMatch(/loosening\(s\) in policy files no approver signed were IGNORED/);
  });

  it('takes effect once an approver signs it, and not after the file changes', async () => {
    const file = join(userDir, 'loosen.yaml');
    writeFileSync(file, LOOSEN);
    await sign(file);
    const after = await judge('kubectl delete ns prod && rm -rf ./build');
    expect(after.effect).toBe('allow');
    expect(after.loaded.loosenings).toEqual([]);
    writeFileSync(file, `${LOOSEN}# edited after signing\n`);
    const edited = await judge('kubectl delete ns prod && rm -rf ./build');
    expect(edited.effect).not.toBe('allow');
    expect(edited.loaded.loosenings.join('\n')).toMatch(/signature ignored: .* does not verify/);
  });

  it('refuses a signature file naming someone not enrolled or carrying a forged signature', async () => {
    const file = join(userDir, 'loosen.yaml');
    writeFileSync(file, LOOSEN);
    writeFileSync(
      `${file}.sig`,
      JSON.stringify({ approver: 'mallory', signature: Buffer.alloc(64).toString('base64') }),
    );
    expect((await judge(ATTACK)).effect).toBe('deny');
    writeFileSync(
      `${file}.sig`,
      JSON.stringify({ approver: 'alice', signature: Buffer.alloc(64, 7).toString('base64') }),
    );
    expect((await judge(ATTACK)).effect).toBe('deny');
  });
});

describe('replacing the default pack through the environment', () => {
  it('keeps the shipped pack when GUARD_DEFAULT_POLICIES is not signed; its files only tighten', async () => {
    const dir = join(rig.home, 'permissive');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'p.yaml'), PERMISSIVE);
    writeFileSync(join(dir, 'q.yaml'), 'version: 1\ndisable: [fs.mkfs]\n');
    writeFileSync(join(userDir, 'loosen.yaml'), 'version: 1\n');
    const env = { ...rig.env, GUARD_DEFAULT_POLICIES: dir };
    const { effect, loaded } = await judge('mkfs.ext4 /dev/sda', env);
    expect(effect).toBe('deny');
    expect(loaded.loosenings.join('\n')).toMatch(
      /q\.yaml:.* not signed by an approver .* may not disable rules \(fs\.mkfs\)/,
    );
    await sign(join(dir, 'p.yaml'));
    // every file of the replacement must be signed before it replaces the shipped pack
    expect((await judge('mkfs.ext4 /dev/sda', env)).effect).toBe('deny');
    await sign(join(dir, 'q.yaml'));
    expect((await judge('mkfs.ext4 /dev/sda', env)).effect).toBe('allow');
  });

  it('cannot drop /etc/guard/policies or loosen through GUARD_SYSTEM_POLICIES', async () => {
    const dir = join(rig.home, 'system-loose');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 's.yaml'), LOOSEN);
    const { effect, loaded } = await judge(ATTACK, { ...rig.env, GUARD_SYSTEM_POLICIES: dir });
    expect(effect).toBe('deny');
    expect(loaded.loosenings.length).toBeGreaterThan(0);
  });
});
