import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FailClosedError } from '../../src/errors.js';
import { compilePolicy, createEngine, loadPolicy, PolicyLoadError, type Engine } from '../../src/policy/index.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

function problemsOf(text: string, layer: 'user' | 'project' = 'user'): string[] {
  try {
    compilePolicy([{ file: 'p.yaml', layer, text }], { engine });
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyLoadError);
    expect(err).toBeInstanceOf(FailClosedError);
    return (err as PolicyLoadError).problems;
  }
  return [];
}

const rule = (extra: string) => `version: 1
rules:
  - id: r.one
    description: one
    effect: approve
    match:
      program: kubectl
${extra}`;

describe('schema errors name file:line:col', () => {
  it('reports a YAML syntax error with its position', () => {
    expect(problemsOf('version: 1\nrules: [\n')[0]).toMatch(/^p\.yaml:\d+:\d+: /);
  });

  it('reports an unknown key at the key', () => {
    const p = problemsOf(rule('      subcomand: delete\n'));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^p\.yaml:8:\d+: .*subcomand/);
  });

  it('reports a bad effect at its value', () => {
    const p = problemsOf(
      'version: 1\nrules:\n  - id: r.x\n    description: x\n    effect: maybe\n    match: { program: ls }\n',
    );
    expect(p[0]).toMatch(/^p\.yaml:5:13: rules\.0\.effect: /);
  });

  it('rejects on_unresolved: allow', () => {
    const p = problemsOf('version: 1\non_unresolved: allow\n');
    expect(p[0]).toMatch(/^p\.yaml:2:16: .*never allow/);
  });

  it('reports a missing required field at its parent', () => {
    const p = problemsOf('version: 1\nrules:\n  - id: r.x\n    effect: deny\n    match: { program: ls }\n');
    expect(p[0]).toMatch(/^p\.yaml:3:\d+: rules\.0\.description/);
  });

  it('reports a bad regular expression in text', () => {
    const p = problemsOf(rule("      text: '(unclosed'\n"));
    expect(p[0]).toMatch(/^p\.yaml:\d+:\d+: rule r\.one: .*regular expression/i);
  });

  it('reports the wrong version and duplicate ids', () => {
    expect(problemsOf('version: 2\n')[0]).toMatch(/^p\.yaml:1:10: version/);
    const dup =
      'version: 1\nrules:\n  - {id: a, description: a, effect: deny, match: {program: x}}\n  - {id: a, description: b, effect: deny, match: {program: y}}\n';
    expect(problemsOf(dup)[0]).toMatch(/^p\.yaml:4:\d+: duplicate rule id a/);
  });
});

describe('rule examples are checked at load', () => {
  it('reports an example that does not match, at the example', () => {
    const p = problemsOf(rule("      subcommand: delete\n    examples:\n      match: ['kubectl get pods']\n"));
    expect(p[0]).toMatch(/^p\.yaml:10:\d+: rule r\.one: example "kubectl get pods" should match/);
  });

  it('reports a no_match example that matches', () => {
    const p = problemsOf(
      rule("      subcommand: delete\n    examples:\n      no_match: ['sudo kubectl delete ns x']\n"),
    );
    expect(p[0]).toMatch(/no_match example "sudo kubectl delete ns x" matches the rule/);
  });

  it('judges examples with the full shell analysis when an engine is given', () => {
    expect(
      problemsOf(
        rule('      subcommand: delete\n    examples:\n      match: [\'bash -c "ls && kubectl delete ns x"\']\n'),
      ),
    ).toEqual([]);
  });

  it('checks examples as plain argv without an engine', () => {
    expect(() =>
      compilePolicy([
        {
          file: 'p.yaml',
          layer: 'user',
          text: rule("      subcommand: delete\n    examples:\n      match: ['kubectl delete ns x']\n"),
        },
      ]),
    ).not.toThrow();
  });
});

describe('layers', () => {
  it('ignores an allow rule in the project layer with a warning', () => {
    const r = compilePolicy(
      [
        {
          file: 'user.yaml',
          layer: 'user',
          text: 'version: 1\ndefault: allow\nrules:\n  - {id: u.rm, description: rm, effect: deny, match: {program: rm}}\n',
        },
        {
          file: '.guard/p.yaml',
          layer: 'project',
          text: 'version: 1\ndefault: allow\non_unresolved: approve\nrules:\n  - {id: p.rm, description: let rm run, effect: allow, match: {program: rm}}\n  - {id: u.rm, description: override, effect: approve, match: {program: nothing}}\n  - {id: p.kube, description: k, effect: approve, match: {program: kubectl}}\n',
        },
      ],
      { engine },
    );
    expect(
      r.warnings.some((w) => w.startsWith('.guard/p.yaml:5:') && w.includes('p.rm') && w.includes('only tighten')),
    ).toBe(true);
    expect(r.warnings.some((w) => w.includes('may not replace'))).toBe(true);
    expect(r.policy.rules.map((x) => x.id).sort()).toEqual(['p.kube', 'u.rm']);
    expect(engine.evaluate({ argv: ['rm', 'x'], cwd: '/', requester: { user: 'a' } }, r.policy).effect).toBe('deny');
  });

  it('lets the project layer tighten default and on_unresolved but not loosen them', () => {
    const r = compilePolicy(
      [
        { file: 'u.yaml', layer: 'user', text: 'version: 1\ndefault: approve\non_unresolved: approve\n' },
        { file: 'p.yaml', layer: 'project', text: 'version: 1\ndefault: allow\non_unresolved: deny\ndisable: [x]\n' },
      ],
      { engine },
    );
    expect(r.policy.default).toBe('approve');
    expect(r.policy.onUnresolved).toBe('deny');
    expect(r.warnings.filter((w) => w.startsWith('p.yaml:'))).toHaveLength(2);
  });

  it('lets a user layer disable a shipped rule', () => {
    const r = compilePolicy(
      [
        {
          file: 'd.yaml',
          layer: 'default',
          text: 'version: 1\ndefault: allow\nrules:\n  - {id: d.rm, description: rm, effect: approve, match: {program: rm}}\n',
        },
        { file: 'u.yaml', layer: 'user', text: 'version: 1\ndisable: [d.rm]\n' },
      ],
      { engine },
    );
    expect(r.policy.rules).toHaveLength(0);
    expect(r.policy.disabled).toEqual([{ id: 'd.rm', file: 'u.yaml' }]);
  });
});

describe('loadPolicy fails closed', () => {
  const env = (home: string) => ({ GUARD_HOME: home, GUARD_SYSTEM_POLICIES: join(home, 'no-system') });

  it('loads the shipped pack and reports every file read', async () => {
    const home = mkdtempSync(join(tmpdir(), 'guard-load-'));
    const r = await loadPolicy({ env: env(home), cwd: home, engine });
    expect(r.policy.default).toBe('allow');
    expect(r.policy.onUnresolved).toBe('approve');
    expect(r.files.length).toBeGreaterThanOrEqual(5);
    expect(r.policy.rules.length).toBeGreaterThan(30);
  });

  it('remembers judged examples in the engine, so a second load reuses them', async () => {
    const home = mkdtempSync(join(tmpdir(), 'guard-load-'));
    const own = await createEngine();
    const first = await loadPolicy({ env: env(home), cwd: home, engine: own });
    const size = own.exampleMemo?.size ?? 0;
    expect(size).toBeGreaterThan(100);
    const second = await loadPolicy({ env: env(home), cwd: home, engine: own });
    expect(own.exampleMemo?.size).toBe(size);
    expect(second.digest).toBe(first.digest);
  });

  it('throws when the shipped pack is missing', async () => {
    const home = mkdtempSync(join(tmpdir(), 'guard-load-'));
    await expect(
      loadPolicy({ env: env(home), cwd: home, engine, shippedDir: join(home, 'nowhere') }),
    ).rejects.toBeInstanceOf(PolicyLoadError);
    // an environment variable naming an empty directory does not remove the pack (decision 0121)
    const kept = await loadPolicy({
      env: { ...env(home), GUARD_DEFAULT_POLICIES: join(home, 'nowhere') },
      cwd: home,
      engine,
    });
    expect(kept.policy.rules.length).toBeGreaterThan(50);
  });

  it('throws on a broken user policy instead of allowing', async () => {
    const home = mkdtempSync(join(tmpdir(), 'guard-load-'));
    mkdirSync(join(home, 'policies'));
    writeFileSync(join(home, 'policies', 'mine.yaml'), 'version: 1\nrules:\n  - id: x\n    effect: allow\n');
    await expect(loadPolicy({ env: env(home), cwd: home, engine })).rejects.toThrow(/mine\.yaml:3:\d+:/);
  });

  it('throws on an unreadable policy file', async () => {
    const home = mkdtempSync(join(tmpdir(), 'guard-load-'));
    mkdirSync(join(home, 'policies', 'dir.yaml'), { recursive: true });
    await expect(loadPolicy({ env: env(home), cwd: home, engine })).rejects.toThrow(/dir\.yaml:1:1: cannot read/);
  });

  it('throws on a missing explicit --policy file', async () => {
    const home = mkdtempSync(join(tmpdir(), 'guard-load-'));
    await expect(loadPolicy({ env: env(home), cwd: home, files: ['missing.yaml'], engine })).rejects.toBeInstanceOf(
      PolicyLoadError,
    );
  });

  it('finds .guard/ from cwd up to the repository root, not above it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'guard-load-'));
    const repo = join(root, 'repo');
    mkdirSync(join(repo, '.git'), { recursive: true });
    mkdirSync(join(repo, '.guard'));
    mkdirSync(join(root, '.guard'));
    mkdirSync(join(repo, 'src', 'deep'), { recursive: true });
    writeFileSync(
      join(repo, '.guard', 'policy.yaml'),
      'version: 1\nrules:\n  - {id: proj.make, description: no make, effect: deny, match: {program: make}}\n',
    );
    writeFileSync(
      join(root, '.guard', 'policy.yaml'),
      'version: 1\nrules:\n  - {id: outside, description: x, effect: deny, match: {program: ls}}\n',
    );
    const r = await loadPolicy({ env: env(root), cwd: join(repo, 'src', 'deep'), engine });
    const ids = r.policy.rules.map((x) => x.id);
    expect(ids).toContain('proj.make');
    expect(ids).not.toContain('outside');
    expect(r.files).toContain(join(repo, '.guard', 'policy.yaml'));
    expect(engine.evaluate({ argv: ['make'], cwd: repo, requester: { user: 'a' } }, r.policy).effect).toBe('deny');
  });
});
