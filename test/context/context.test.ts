import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  detectAgent,
  detectCi,
  gatherContext,
  resolveProgram,
  resolveProgramCached,
  ticketFromBranch,
} from '../../src/context/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'guard-ctx-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const KUBECONFIG = `apiVersion: v1
kind: Config
current-context: prod-eu
contexts:
- name: prod-eu
  context: { cluster: eu, user: admin, namespace: payments }
- name: staging
  context: { cluster: st, user: admin }
`;

describe('kubernetes context', () => {
  it('reads current-context and its namespace from KUBECONFIG; argv overrides', async () => {
    const kc = join(dir, 'kc.yaml');
    writeFileSync(kc, KUBECONFIG);
    const env = { KUBECONFIG: `${join(dir, 'missing.yaml')}:${kc}`, HOME: dir };
    const base = await gatherContext({ env, cwd: dir, argv: ['kubectl', 'delete', 'ns', 'x'] });
    expect(base.kube).toEqual({ context: 'prod-eu', namespace: 'payments' });
    const over = await gatherContext({ env, cwd: dir, argv: ['kubectl', '--context', 'staging', 'get', 'pods'] });
    expect(over.kube).toEqual({ context: 'staging', namespace: 'default' });
    const ns = await gatherContext({ env, cwd: dir, argv: ['bash', '-c', 'kubectl -n kube-system get pods'] });
    expect(ns.kube?.context).toBe('prod-eu');
    const ns2 = await gatherContext({ env, cwd: dir, argv: ['helm', 'uninstall', 'x', '--namespace=web'] });
    expect(ns2.kube).toEqual({ context: 'prod-eu', namespace: 'web' });
  });

  it('uses ~/.kube/config and tolerates garbage', async () => {
    mkdirSync(join(dir, '.kube'));
    writeFileSync(join(dir, '.kube', 'config'), ': : [ not yaml {{{');
    expect(
      (await gatherContext({ env: { HOME: dir }, cwd: dir, argv: ['kubectl', 'get', 'pods'] })).kube,
    ).toBeUndefined();
    writeFileSync(join(dir, '.kube', 'config'), KUBECONFIG);
    expect(
      (await gatherContext({ env: { HOME: dir }, cwd: dir, argv: ['kubectl', 'get', 'pods'] })).kube?.context,
    ).toBe('prod-eu');
    // not a kube command: the file is not even read
    expect((await gatherContext({ env: { HOME: dir }, cwd: dir, argv: ['ls'] })).kube).toBeUndefined();
  });
});

describe('cloud context', () => {
  it('AWS from env, argv and the profile region in the config file', async () => {
    mkdirSync(join(dir, '.aws'));
    writeFileSync(join(dir, '.aws', 'config'), '[default]\nregion = us-east-1\n[profile prod]\nregion = eu-west-1\n');
    const env = { HOME: dir, AWS_PROFILE: 'prod' };
    expect((await gatherContext({ env, cwd: dir, argv: ['aws', 's3', 'ls'] })).aws).toEqual({
      profile: 'prod',
      region: 'eu-west-1',
    });
    expect((await gatherContext({ env, cwd: dir, argv: ['aws', '--region', 'ap-south-1', 's3', 'ls'] })).aws).toEqual({
      profile: 'prod',
      region: 'ap-south-1',
    });
    expect(
      (await gatherContext({ env: { HOME: dir }, cwd: dir, argv: ['aws', 's3', 'ls', '--profile=dev'] })).aws,
    ).toEqual({ profile: 'dev' });
    expect(
      (await gatherContext({ env: { HOME: dir }, cwd: dir, argv: ['aws', 'sts', 'get-caller-identity'] })).aws,
    ).toEqual({ region: 'us-east-1' });
  });

  it('gcloud project from env or the active configuration', async () => {
    const g = join(dir, '.config', 'gcloud');
    mkdirSync(join(g, 'configurations'), { recursive: true });
    writeFileSync(join(g, 'active_config'), 'work\n');
    writeFileSync(join(g, 'configurations', 'config_work'), '[core]\naccount = a@b.c\nproject = acme-prod-1\n');
    expect(
      (await gatherContext({ env: { HOME: dir }, cwd: dir, argv: ['gcloud', 'compute', 'instances', 'list'] })).gcloud,
    ).toEqual({ project: 'acme-prod-1' });
    expect(
      (await gatherContext({ env: { HOME: dir, CLOUDSDK_CORE_PROJECT: 'p2' }, cwd: dir, argv: ['ls'] })).gcloud,
    ).toEqual({ project: 'p2' });
  });

  it('terraform workspace from TF_WORKSPACE, .terraform/environment or the default', async () => {
    expect((await gatherContext({ env: {}, cwd: dir, argv: ['terraform', 'apply'] })).terraform).toBeUndefined();
    mkdirSync(join(dir, '.terraform'));
    expect((await gatherContext({ env: {}, cwd: dir, argv: ['terraform', 'apply'] })).terraform).toEqual({
      workspace: 'default',
    });
    writeFileSync(join(dir, '.terraform', 'environment'), 'prod');
    expect((await gatherContext({ env: {}, cwd: dir, argv: ['terraform', 'destroy'] })).terraform).toEqual({
      workspace: 'prod',
    });
    expect((await gatherContext({ env: { TF_WORKSPACE: 'qa' }, cwd: dir, argv: ['ls'] })).terraform).toEqual({
      workspace: 'qa',
    });
    mkdirSync(join(dir, 'infra', '.terraform'), { recursive: true });
    writeFileSync(join(dir, 'infra', '.terraform', 'environment'), 'stage');
    expect((await gatherContext({ env: {}, cwd: dir, argv: ['terraform', '-chdir=infra', 'plan'] })).terraform).toEqual(
      { workspace: 'stage' },
    );
  });
});

describe('agent and CI detection', () => {
  it('uses GUARD_AGENT, then the agents own variables, then process names', () => {
    expect(detectAgent({ GUARD_AGENT: 'home-made', CLAUDECODE: '1' }, [])).toEqual({ agent: 'home-made' });
    expect(detectAgent({ CLAUDECODE: '1', CLAUDE_CODE_SESSION_ID: 's-1' }, [])).toEqual({
      agent: 'claude-code',
      session: 's-1',
    });
    expect(detectAgent({ CODEX_SANDBOX: 'seatbelt', CODEX_THREAD_ID: 't-9' }, [])).toEqual({
      agent: 'codex',
      session: 't-9',
    });
    expect(detectAgent({ GEMINI_CLI: '1' }, [])).toEqual({ agent: 'gemini' });
    expect(detectAgent({ CURSOR_EXTENSION_HOST_ROLE: 'agent-exec' }, [])).toEqual({ agent: 'cursor' });
    expect(detectAgent({ CURSOR_TRACE_ID: 'abc' }, [])).toEqual({});
    expect(detectAgent({}, [{ name: 'bash' }, { name: 'aider' }])).toEqual({ agent: 'aider' });
    expect(detectAgent({}, [{ name: 'node', args: ['node', 'gemini'] }])).toEqual({
      agent: 'gemini',
    });
    expect(detectAgent({ AIDER_MODEL: 'x' }, [{ name: 'bash' }])).toEqual({});
  });

  it('reads CI providers', () => {
    expect(
      detectCi({
        GITHUB_ACTIONS: 'true',
        GITHUB_JOB: 'deploy',
        GITHUB_RUN_ID: '42',
        GITHUB_REPOSITORY: 'acme/api',
        GITHUB_SERVER_URL: 'https://github.com',
      }),
    ).toEqual({
      provider: 'github-actions',
      job: 'deploy',
      run: '42',
      url: 'https://github.com/acme/api/actions/runs/42',
    });
    expect(
      detectCi({ GITLAB_CI: 'true', CI_JOB_NAME: 'migrate', CI_PIPELINE_ID: '7', CI_JOB_URL: 'https://gl/j/1' }),
    ).toEqual({ provider: 'gitlab-ci', job: 'migrate', run: '7', url: 'https://gl/j/1' });
    expect(detectCi({ BUILDKITE: 'true', BUILDKITE_LABEL: ':rocket: deploy', BUILDKITE_BUILD_NUMBER: '3' })).toEqual({
      provider: 'buildkite',
      job: ':rocket: deploy',
      run: '3',
    });
    expect(detectCi({ CI: 'true' })).toEqual({ provider: 'ci' });
    expect(detectCi({})).toBeUndefined();
  });

  it('gatherContext fills requester from the real process tree and CI', async () => {
    const c = await gatherContext({
      env: { GITHUB_ACTIONS: 'true', GITHUB_ACTOR: 'octocat', PATH: process.env['PATH'] },
      cwd: dir,
      argv: ['true'],
    });
    expect(c.requester.pid).toBe(process.pid);
    expect(c.requester.parents.length).toBeGreaterThan(0);
    expect(c.requester.parents[0]!.pid).toBe(process.ppid);
    expect(c.requester.agent).toBe('ci');
    expect(c.requester.onBehalfOf).toBe('octocat');
    expect(c.ci?.provider).toBe('github-actions');
    expect(c.cwd).toBe(dir);
  });
});

describe('resolveProgram', () => {
  it('finds an executable on PATH like execvp and hashes it', async () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'tool'), '#!/bin/sh\necho hi\n');
    writeFileSync(join(dir, 'notexec'), 'x');
    chmodSync(join(bin, 'tool'), 0o755);
    mkdirSync(join(dir, 'other'));
    writeFileSync(join(dir, 'other', 'tool'), 'not executable');
    const env = { PATH: `${join(dir, 'other')}:${bin}` };
    const sha = createHash('sha256')
      .update(readFileSync(join(bin, 'tool')))
      .digest('hex');
    expect(await resolveProgram('tool', env, dir)).toEqual({ path: join(bin, 'tool'), sha256: sha });
    expect(await resolveProgram('./bin/tool', {}, dir)).toEqual({ path: join(bin, 'tool'), sha256: sha });
    expect(await resolveProgram(join(bin, 'tool'), {}, '/')).toEqual({ path: join(bin, 'tool'), sha256: sha });
    expect(await resolveProgram('notexec', { PATH: dir }, dir)).toBeUndefined();
    expect(await resolveProgram('bin', { PATH: dir }, dir)).toBeUndefined(); // a directory
    expect(await resolveProgram('nope', env, dir)).toBeUndefined();
    expect(await resolveProgram('', env, dir)).toBeUndefined();
  });

  it('gatherContext binds the program it would run', async () => {
    const c = await gatherContext({ env: { PATH: process.env['PATH'] }, cwd: dir, argv: ['sh', '-c', 'true'] });
    expect(c.program?.path).toMatch(/\/sh$/);
    expect(c.program?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('ticketFromBranch', () => {
  it.each([
    ['feature/PROJ-123-rotate-keys', 'PROJ-123'],
    ['ABC-9', 'ABC-9'],
    ['bob/OPS-77_hotfix', 'OPS-77'],
    ['feature/abc-123-x', 'ABC-123'],
    ['fix/#456-crash', '#456'],
    ['issue-88', '#88'],
    ['123-add-login', '#123'],
    ['main', undefined],
    ['release-2024', undefined],
    ['dependabot/npm_and_yarn/lodash-4.17.21', undefined],
    ['feature/UTF-8-names', undefined],
  ])('%s → %s', (branch, ticket) => {
    expect(ticketFromBranch(branch)).toBe(ticket);
  });
});

describe('resolveProgramCached', () => {
  it('returns the same hash from the cache and notices a changed binary', async () => {
    const bin = join(dir, 'tool');
    writeFileSync(bin, '#!/bin/sh\necho one\n');
    chmodSync(bin, 0o755);
    const cache = join(dir, 'hashes.json');
    const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
    expect(await resolveProgramCached(bin, {}, dir, cache)).toEqual({
      path: bin,
      sha256: sha('#!/bin/sh\necho one\n'),
    });
    const stored = JSON.parse(readFileSync(cache, 'utf8')) as Record<string, string>;
    expect(Object.values(stored)).toEqual([sha('#!/bin/sh\necho one\n')]);
    expect(statSync(cache).mode & 0o777).toBe(0o600);
    // a hit: poison the stored value to prove it is served from the cache
    const key = Object.keys(stored)[0]!;
    writeFileSync(cache, JSON.stringify({ [key]: 'a'.repeat(64) }));
    expect((await resolveProgramCached(bin, {}, dir, cache))?.sha256).toBe('a'.repeat(64));
    // any write changes ctime/mtime: the entry no longer applies
    writeFileSync(bin, '#!/bin/sh\necho two\n');
    expect((await resolveProgramCached(bin, {}, dir, cache))?.sha256).toBe(sha('#!/bin/sh\necho two\n'));
    expect(Object.keys(JSON.parse(readFileSync(cache, 'utf8')) as object)).toHaveLength(1);
  });

  it('gatherContext uses the cache when given one', async () => {
    const cache = join(dir, 'hashes.json');
    const c = await gatherContext({
      env: { PATH: process.env['PATH'] },
      cwd: dir,
      argv: ['sh', '-c', 'true'],
      programCache: cache,
    });
    expect(Object.values(JSON.parse(readFileSync(cache, 'utf8')) as object)).toEqual([c.program?.sha256]);
  });

  it('tolerates a garbage or unwritable cache', async () => {
    const bin = join(dir, 'tool');
    writeFileSync(bin, 'x');
    chmodSync(bin, 0o755);
    writeFileSync(join(dir, 'bad.json'), '{not json');
    expect((await resolveProgramCached(bin, {}, dir, join(dir, 'bad.json')))?.path).toBe(bin);
    expect((await resolveProgramCached(bin, {}, dir, join(dir, 'no', 'such', 'dir.json')))?.path).toBe(bin);
    writeFileSync(join(dir, 'wrong.json'), JSON.stringify({ k: 'not a hash', list: [1] }));
    expect((await resolveProgramCached(bin, {}, dir, join(dir, 'wrong.json')))?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('config files that are not plain files', () => {
  it('a FIFO planted as a kubeconfig neither hangs nor is read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'guard-fifo-'));
    try {
      const fifo = join(dir, 'kubeconfig');
      execFileSync('mkfifo', [fifo]);
      const ctx = await gatherContext({
        env: { ...process.env, KUBECONFIG: fifo },
        cwd: dir,
        argv: ['kubectl', 'get', 'pods'],
      });
      expect(ctx.kube?.context).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
