/**
 * The environment digest and argument resolution an approval binds (docs/decisions/0410):
 * pure functions over plain values, plus resolveTargets on a real temporary directory.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { envDigest, policyEnvNames } from '../../src/approval/binding.js';
import { requestFingerprint } from '../../src/approval/fingerprint.js';
import { boundEnvValues, isBoundEnvName, resolveTargets } from '../../src/context/binding.js';

const H = (c: string): string => c.repeat(64);

describe('envDigest', () => {
  const base = { TF_WORKSPACE: H('a'), PATH: H('b'), OLDPWD: H('c') };
  const d = (h: Record<string, string>, names: string[] = [], ctx: Record<string, unknown> = {}): string =>
    envDigest(h, names, ctx);

  it('changes with a listed variable and ignores unlisted ones', () => {
    expect(d({ ...base, TF_WORKSPACE: H('d') })).not.toBe(d(base));
    expect(d({ ...base, OLDPWD: H('e'), SHLVL: H('f') })).toBe(d(base));
  });

  it('tells set from unset, for listed variables and for names the policy reads', () => {
    const { TF_WORKSPACE: _, ...unset } = base;
    expect(d(unset)).not.toBe(d(base));
    expect(d(base, ['DEPLOY_TARGET'])).not.toBe(d({ ...base, DEPLOY_TARGET: H('1') }, ['DEPLOY_TARGET']));
    expect(d({ ...base, DEPLOY_TARGET: H('1') }, ['DEPLOY_TARGET'])).not.toBe(
      d({ ...base, DEPLOY_TARGET: H('2') }, ['DEPLOY_TARGET']),
    );
    // unlisted and not named by the policy: not bound
    expect(d({ ...base, DEPLOY_TARGET: H('1') })).toBe(d({ ...base, DEPLOY_TARGET: H('2') }));
  });

  it('binds the target context the reviewer saw and nothing else of the context', () => {
    const staging = { kube: { context: 'staging' }, git: { branch: 'a' } };
    expect(d(base, [], staging)).not.toBe(d(base, [], { ...staging, kube: { context: 'prod' } }));
    expect(d(base, [], staging)).toBe(d(base, [], { ...staging, git: { branch: 'b' } }));
  });

  it('does not read inherited properties as variables', () => {
    expect(d(base, ['constructor', '__proto__'])).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('policyEnvNames', () => {
  it('collects every rule’s env match names, sorted and once', () => {
    expect(
      policyEnvNames([
        { matchDoc: { program: 'x', env: { B: '*', A: 'p' } } },
        { matchDoc: { program: 'y' } },
        { matchDoc: { program: 'z', env: { A: 'q' } } },
        { matchDoc: null },
      ]),
    ).toEqual(['A', 'B']);
  });

  it('answers a compiled policy’s rules again from memory, unharmed by what a caller does with a list', () => {
    const rules = [{ matchDoc: { program: 'x', env: { B: '*', A: 'p' } } }];
    const first = policyEnvNames(rules);
    first.push('INJECTED');
    expect(policyEnvNames(rules)).toEqual(['A', 'B']);
    // other rules (a reloaded policy) are their own question
    expect(policyEnvNames([{ matchDoc: { program: 'x', env: { C: '*' } } }])).toEqual(['C']);
  });
});

describe('the bound list', () => {
  it('names the per-tool variables of the issue and none of the shell noise', () => {
    for (const n of ['TF_WORKSPACE', 'KUBECONFIG', 'AWS_PROFILE', 'AWS_REGION', 'PGHOST', 'PGDATABASE', 'PGUSER'])
      expect(isBoundEnvName(n), n).toBe(true);
    for (const n of ['PGPORT', 'PGSERVICE', 'DOCKER_HOST', 'GIT_DIR', 'LD_PRELOAD', 'HOME'])
      expect(isBoundEnvName(n), n).toBe(true);
    for (const n of ['OLDPWD', 'SHLVL', '_', 'PWD', 'TERM', 'PATH']) expect(isBoundEnvName(n), n).toBe(false);
    expect(boundEnvValues({ TF_WORKSPACE: 'staging', SHLVL: '2' })).toEqual({ TF_WORKSPACE: 'staging' });
  });
});

describe('resolveTargets', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves arguments through symlinks, skips the program and options', () => {
    dir = mkdtempSync(join(tmpdir(), 'gbx-'));
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'other'));
    symlinkSync(join(dir, 'other'), join(dir, 'link'));
    expect(resolveTargets(['rm', '-rf', './a/', 'link', 'missing', '', 'no/such/dir'], dir)).toEqual([
      null,
      null,
      join(dir, 'a'),
      join(dir, 'other'),
      join(dir, 'missing'), // where it would be created
      null,
      null,
    ]);
  });

  it('keeps the binding when the word comes to name a file in place, not when it becomes a symlink', () => {
    dir = mkdtempSync(join(tmpdir(), 'gbx-'));
    mkdirSync(join(dir, 'other'));
    const before = resolveTargets(['touch', 'made', 'planted'], dir);
    writeFileSync(join(dir, 'made'), '');
    symlinkSync(join(dir, 'other'), join(dir, 'planted'));
    const after = resolveTargets(['touch', 'made', 'planted'], dir);
    expect(after[1]).toBe(before[1]);
    expect(after[2]).not.toBe(before[2]);
  });

  it('changes the fingerprint when a target moves', () => {
    const fp = (targets: (string | null)[]): string =>
      requestFingerprint({ argv: ['rm', './a/'], cwd: '/w', requester: { user: 'u' }, targets });
    expect(fp([null, '/w/a'])).not.toBe(fp([null, '/w/other']));
    expect(fp([null, null])).not.toBe(fp([null, '/w/a']));
    expect(requestFingerprint({ argv: ['rm'], cwd: '/w', requester: { user: 'u' } })).toBe(
      requestFingerprint({ argv: ['rm'], cwd: '/w', requester: { user: 'u' }, targets: undefined }),
    );
  });
});
