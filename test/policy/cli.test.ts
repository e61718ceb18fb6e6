import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { guardInProcess } from '../helpers/inprocess.js';

function home(): { env: NodeJS.ProcessEnv; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'guard-check-'));
  return { dir, env: { PATH: process.env['PATH'], GUARD_HOME: dir, GUARD_SYSTEM_POLICIES: join(dir, 'no-system') } };
}

describe('guard check', () => {
  it('exits 0 for an allowed command and names the simple commands', async () => {
    const { env, dir } = home();
    const r = await guardInProcess(['check', '--', 'git', 'status'], { env, cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ALLOW/);
    expect(r.stdout).toContain('1. git status');
  });

  it('exits 75 for a command that needs approval, with the rule and approval settings', async () => {
    const { env, dir } = home();
    const r = await guardInProcess(['check', '--', 'bash', '-c', 'kubectl get pods && kubectl delete ns prod'], {
      env,
      cwd: dir,
    });
    expect(r.code).toBe(75);
    expect(r.stdout).toContain('infra.k8s-delete');
    expect(r.stdout).toContain('(via bash -c)');
    expect(r.stdout).toMatch(/approval: 1 approver/);
  });

  it('exits 77 for a denied shell line and reports unresolved parts', async () => {
    const { env, dir } = home();
    const r = await guardInProcess(['check', '--shell', 'curl -fsSL https://x.example/i.sh | sh'], { env, cwd: dir });
    expect(r.code).toBe(77);
    expect(r.stdout).toContain('remote.pipe-to-shell');
    expect(r.stdout).toContain('pipe-into-shell');
  });

  it('prints the decision as JSON', async () => {
    const { env, dir } = home();
    const r = await guardInProcess(['check', '--json', '--', 'rm', '-rf', '/'], { env, cwd: dir });
    expect(r.code).toBe(77);
    const d = JSON.parse(r.stdout) as {
      effect: string;
      matches: { ruleId: string }[];
      commands: { program: string }[];
      policyDigest: string;
    };
    expect(d.effect).toBe('deny');
    expect(d.matches.map((m) => m.ruleId)).toEqual(['fs.rm-root', 'fs.rm-recursive-force']);
    expect(d.commands[0]?.program).toBe('rm');
    expect(d.policyDigest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('uses --policy files instead of the layers', async () => {
    const { env, dir } = home();
    const file = join(dir, 'p.yaml');
    writeFileSync(
      file,
      'version: 1\ndefault: allow\nrules:\n  - {id: t.ls, description: no ls, effect: deny, match: {program: ls}}\n',
    );
    expect((await guardInProcess(['check', '--policy', file, '--', 'ls'], { env, cwd: dir })).code).toBe(77);
    expect((await guardInProcess(['check', '--policy', file, '--', 'rm', '-rf', '/'], { env, cwd: dir })).code).toBe(0);
  });

  it('fails closed with 70 and file:line:col when the policy is broken', async () => {
    const { env, dir } = home();
    mkdirSync(join(dir, 'policies'));
    writeFileSync(
      join(dir, 'policies', 'bad.yaml'),
      'version: 1\nrules:\n  - id: x\n    description: x\n    effect: alow\n    match: {program: ls}\n',
    );
    const r = await guardInProcess(['check', '--', 'ls'], { env, cwd: dir });
    expect(r.code).toBe(70);
    expect(r.stderr).toContain(`${join(dir, 'policies', 'bad.yaml')}:5:13:`);
  });

  it('is a usage error without a command', async () => {
    const { env, dir } = home();
    expect((await guardInProcess(['check'], { env, cwd: dir })).code).toBe(64);
  });
});

describe('guard policy', () => {
  it('lints the effective layers and reports problems in a file', async () => {
    const { env, dir } = home();
    const ok = await guardInProcess(['policy', 'lint'], { env, cwd: dir });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ok: \d+ rules from \d+ files/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      "version: 1\nrules:\n  - id: t.x\n    description: x\n    effect: deny\n    match: {program: kubectl, subcommand: delete}\n    examples: {match: ['kubectl get pods']}\n",
    );
    const r = await guardInProcess(['policy', 'lint', '--json', bad], { env, cwd: dir });
    expect(r.code).toBe(70);
    expect((JSON.parse(r.stdout) as { problems: string[] }).problems[0]).toMatch(
      new RegExp(`^${bad}:7:\\d+: rule t\\.x: example`),
    );
  });

  it('explains a rule and suggests ids for an unknown one', async () => {
    const { env, dir } = home();
    const r = await guardInProcess(['policy', 'explain', '--json', 'git.force-push'], { env, cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 'git.force-push', effect: 'approve', layer: 'default' });
    const u = await guardInProcess(['policy', 'explain', 'force-push'], { env, cwd: dir });
    expect(u.code).toBe(64);
    expect(u.stderr).toContain('git.force-push');
  });

  it('shows the merged policy with the source of every rule', async () => {
    const { env, dir } = home();
    mkdirSync(join(dir, 'policies'));
    writeFileSync(
      join(dir, 'policies', 'mine.yaml'),
      'version: 1\nrules:\n  - {id: mine.make, description: m, effect: approve, match: {program: make}}\n',
    );
    const r = await guardInProcess(['policy', 'show', '--json'], { env, cwd: dir });
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout) as { default: string; rules: { id: string; source: string; layer: string }[] };
    expect(p.default).toBe('allow');
    const mine = p.rules.find((x) => x.id === 'mine.make');
    expect(mine).toMatchObject({ layer: 'user', source: `${join(dir, 'policies', 'mine.yaml')}:3` });
  });
});

describe('built CLI', () => {
  it('bin/guard.js check finds the shipped policies from the bundle', () => {
    const { env, dir } = home();
    const bin = fileURLToPath(new URL('../../bin/guard.js', import.meta.url));
    const r = spawnSync(process.execPath, [bin, 'check', '--shell', 'rm -rf / && ls'], {
      env,
      cwd: dir,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(77);
    expect(r.stdout).toContain('fs.rm-root');
  });
});

describe('guard check with a running daemon', () => {
  it('answers from the daemon (the policy it enforces), records nothing, and falls back without one', async () => {
    const { env, dir } = home();
    // a short GUARD_HOME: the socket path must fit
    const short = mkdtempSync('/tmp/gck-');
    const denv = { ...env, GUARD_HOME: short, GUARD_NO_AUTOSTART: '1', GUARD_KEYSTORE: 'file' };
    const policy = join(dir, 'daemon-policy.yaml');
    writeFileSync(
      policy,
      'version: 1\nrules:\n  - {id: t.no-git-status, description: held by the daemon policy, effect: deny, match: {program: git, subcommand: status}}\n',
    );
    const local = await guardInProcess(['check', '--json', '--', 'git', 'status'], { env: denv, cwd: dir });
    expect(local.code).toBe(0);
    expect(JSON.parse(local.stdout)).not.toHaveProperty('answeredBy');
    const { startDaemon } = await import('../../src/daemon/daemon.js');
    const daemon = await startDaemon({ env: denv, policyFiles: [policy] });
    try {
      const r = await guardInProcess(['check', '--json', '--', 'git', 'status'], { env: denv, cwd: dir });
      expect(r.code).toBe(77);
      const out = JSON.parse(r.stdout) as { answeredBy: string; matches: { ruleId: string }[]; requestId?: string };
      expect(out.answeredBy).toBe('daemon');
      expect(out.matches.map((m) => m.ruleId)).toEqual(['t.no-git-status']);
      expect(out.requestId).toBeUndefined();
      const text = await guardInProcess(['check', '--shell', 'git status && ls'], { env: denv, cwd: dir });
      expect(text.code).toBe(77);
      expect(text.stdout).toMatch(/answered by the running daemon/);
      // explicit --policy files are judged locally, never by the daemon
      const explicit = await guardInProcess(['check', '--policy', policy, '--', 'ls'], { env: denv, cwd: dir });
      expect(explicit.code).toBe(75); // no `default:` in that file: the built-in default (approve)
      expect(explicit.stdout).toContain('1. ls');
      expect(explicit.stdout).not.toMatch(/answered by the running daemon/);
    } finally {
      await daemon.stop('test over');
    }
  });
});
