import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_APPROVAL } from '../../src/policy/rules/compiled.js';
import { groupConditions } from '../../src/policy/rules/decide.js';
import { compilePolicy, type Engine } from '../../src/policy/index.js';
import { defaultHarness, type Harness } from './helpers.js';

let h: Harness;
let engine: Engine;
beforeAll(async () => {
  h = await defaultHarness(mkdtempSync(join(tmpdir(), 'guard-policy-')));
  engine = h.engine;
});

const ctx = { cwd: '/srv/repo', requester: { user: 'alice', agent: 'claude-code' } };

function policy(yaml: string) {
  return compilePolicy([{ file: 'test.yaml', layer: 'user', text: yaml }], { engine }).policy;
}

describe('shell analysis', () => {
  it('finds every simple command through lists, pipelines and compound statements', () => {
    const d = h.line('a && b || c; (d | e) & { f; }; if g; then h; fi; for i in 1; do j; done; k=$(l) m');
    expect(d.commands.map((c) => c.program)).toEqual(
      expect.arrayContaining(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'j', 'l', 'm']),
    );
  });

  it('normalises quoting, escapes, ANSI-C strings, paths and .exe', () => {
    for (const line of [
      '\\kubectl delete ns x',
      "k'ub'ectl delete ns x",
      '"kubectl" delete ns x',
      "$'\\x6b'ubectl delete ns x",
      '/usr/local/bin/kubectl delete ns x',
      './kubectl delete ns x',
      'KUBECTL.exe delete ns x',
    ]) {
      const d = h.line(line);
      expect(d.commands[0]?.program, line).toBe('kubectl');
      expect(d.effect, line).toBe('approve');
    }
  });

  it('records the wrappers peeled off, outermost first', () => {
    const d = h.argv(['sudo', '-u', 'root', 'timeout', '5', 'bash', '-lc', 'nice -n 5 kubectl delete ns x']);
    const k = d.commands.find((c) => c.program === 'kubectl');
    expect(k?.via).toEqual(['sudo', 'timeout', 'bash -c', 'nice']);
    expect(k?.args).toEqual(['delete', 'ns', 'x']);
  });

  it('keeps leading and env assignments on the command', () => {
    const d = h.line('AWS_PROFILE=prod env -i REGION=eu aws s3 ls');
    const aws = d.commands.find((c) => c.program === 'aws');
    expect(aws?.assignments).toMatchObject({ AWS_PROFILE: 'prod', REGION: 'eu' });
  });

  it('treats a computed program name as unresolved, never allow', () => {
    for (const line of ['$X rm -rf /', '"$(printf rm)" -rf /', '/bin/r? -rf /tmp', 'eval ls']) {
      const d = h.line(line);
      expect(d.effect, line).not.toBe('allow');
      expect(d.unresolved.length, line).toBeGreaterThan(0);
    }
  });

  it('folds $(echo literal) into a constant word', () => {
    expect(h.line('$(echo ls) -la').effect).toBe('allow');
    expect(h.line('$(echo rm) -rf /').effect).toBe('deny');
  });

  it('judges a literal heredoc or here-string fed to a shell as a script', () => {
    expect(h.line("bash <<'EOF'\nls\nEOF").effect).toBe('allow');
    expect(h.line("bash <<'EOF'\nkubectl delete ns x\nEOF").effect).toBe('approve');
    expect(h.line('sh <<< "git push --force"').effect).toBe('approve');
  });

  it('treats text piped into a shell as unresolved and judges what it can read', () => {
    const d = h.line("echo 'ls' | bash");
    expect(d.effect).toBe('approve');
    expect(d.unresolved.map((u) => u.kind)).toContain('pipe-into-shell');
    expect(h.line("echo 'rm -rf /' | bash").effect).toBe('deny');
  });

  it('keeps dangerous words as data allowed', () => {
    for (const line of [
      'echo "rm -rf /"',
      'git commit -m "kubectl delete ns prod"',
      'grep -r "DROP TABLE" .',
      "cat <<'EOF'\nterraform destroy\nEOF",
    ]) {
      expect(h.line(line).effect, line).toBe('allow');
    }
  });

  it('reads command -v as a lookup, not an execution', () => {
    expect(h.line('command -v rm').effect).toBe('allow');
    expect(h.line('command rm -rf /srv/x').effect).toBe('approve');
  });

  it('scans inline interpreter code for shell-outs', () => {
    expect(h.line('python3 -c "print(1)"').effect).toBe('allow');
    // a literal read-only command is judged as that command (issue 22: needless hold)
    expect(h.line('python3 -c \'import os; os.system("ls")\'').effect).toBe('allow');
    expect(h.line('python3 -c \'import os; os.system("rm -rf /srv/x")\'').effect).not.toBe('allow');
    const d = h.line('python3 -c \'import os; c = "ls"; os.system(c)\'');
    expect(d.effect).toBe('approve');
    expect(d.unresolved.map((u) => u.kind)).toContain('interpreter-shell-out');
    // an alias of the call, or a process call with a computed part, stays unresolved
    expect(h.line("python3 -c 'import subprocess as s; s.run(x)'").effect).toBe('approve');
    expect(h.line('python3 -c \'import subprocess; subprocess.run(["ls"] + extra)\'').effect).toBe('approve');
    expect(h.line('python3 -c \'import subprocess; subprocess.run(["ls"], executable="/bin/rm")\'').effect).toBe(
      'approve',
    );
    expect(h.line('node -e \'require("child_process").spawnSync("kubectl", ["delete", "ns", "p"])\'').effect).toBe(
      'approve',
    );
  });

  it('bounds nesting: deep sh -c chains end unresolved', () => {
    let line = 'ls';
    for (let i = 0; i < 14; i++) line = `sh -c ${JSON.stringify(line)}`;
    const d = h.line(line);
    expect(d.effect).not.toBe('allow');
    expect(d.unresolved.map((u) => u.kind)).toContain('too-deep');
  });

  it('never throws, whatever the input', () => {
    for (const line of ['', '\u0000', '$((', '"', "'", '\\', '<<<', '|', ';;', '$(((((', 'ε'.repeat(1000)]) {
      expect(() => h.line(line)).not.toThrow();
    }
    expect(h.argv([]).effect).not.toBe('allow');
  });

  it('fails closed on a malformed request: internal errors become unresolved', () => {
    const d = h.engine.evaluate(
      { argv: [undefined as unknown as string, 'x'], cwd: '/', requester: { user: 'a' } },
      h.loaded.policy,
    );
    expect(d.effect).toBe('approve');
    expect(d.unresolved.map((u) => u.kind)).toContain('internal');
  });
});

describe('matching and decisions', () => {
  const yaml = `version: 1
default: allow
on_unresolved: deny
rules:
  - id: t.delete
    description: kubectl delete
    effect: approve
    risk: high
    match: { program: kubectl, subcommand: delete }
    impact: 'deletes {target} as {user}'
    approval: { quorum: 2, ttl: 5m, groups: [sre], four_eyes: true }
  - id: t.drain
    description: kubectl drain
    effect: approve
    match: { program: kubectl, subcommand: drain }
    approval: { quorum: 1, ttl: 1h, groups: [ops], timeout: 10m }
  - id: t.pinned
    description: pinned tool
    effect: deny
    match: { program: /opt/danger/bin/tool }
  - id: t.env
    description: prod profile
    effect: approve
    match: { program: aws, env: { AWS_PROFILE: 'prod*' } }
  - id: t.cwd
    description: in prod checkout
    effect: approve
    match: { program: make, cwd: '/srv/prod/**' }
  - id: t.agent
    description: codex may not push
    effect: deny
    match: { program: git, subcommand: push, requester: { agent: codex } }
  - id: t.glob
    description: mkfs family
    effect: deny
    match: { program: 'mkfs*' }
`;

  it('tolerates global flags before the subcommand and fills the impact template', () => {
    const p = policy(yaml);
    const d = engine.evaluate(
      { ...ctx, argv: ['kubectl', '--context', 'prod', '-n', 'web', 'delete', 'pod', 'api-1'] },
      p,
    );
    expect(d.effect).toBe('approve');
    expect(d.matches[0]?.impact).toBe('deletes pod api-1 as alice');
    expect(engine.evaluate({ ...ctx, argv: ['kubectl', 'get', 'pods', '-n', 'delete'] }, p).effect).toBe('allow');
  });

  it('merges approval settings strictest-first across rules', () => {
    const d = engine.evaluate(
      {
        ...ctx,
        argv: ['sh', '-c', 'kubectl delete pod a; kubectl drain n1'],
        shell: 'kubectl delete pod a; kubectl drain n1',
      },
      policy(yaml),
    );
    expect(d.approval).toMatchObject({ quorum: 2, grantTtlSeconds: 300, timeoutSeconds: 600, fourEyes: true });
    // each rule's groups must hold: intersected, never united (decision 0120)
    expect([d.approval?.groups, ...(d.approval?.alsoGroups ?? [])]).toEqual([['sre'], ['ops']]);
  });

  it('keeps the narrowest of nested group conditions and drops repeats', () => {
    const a = (groups: string[]) => ({ ...DEFAULT_APPROVAL, groups });
    expect(groupConditions([a(['dba', 'sre']), a(['sre']), a([]), a(['sre'])])).toEqual([['sre']]);
    expect(groupConditions([a(['sre']), a(['dba', 'sre'])])).toEqual([['sre']]);
    expect(groupConditions([a(['dba']), a(['sre'])])).toEqual([['dba'], ['sre']]);
  });

  it('applies pinned absolute paths only to that path', () => {
    const p = policy(yaml);
    expect(engine.evaluate({ ...ctx, argv: ['/opt/danger/bin/tool'] }, p).effect).toBe('deny');
    expect(engine.evaluate({ ...ctx, argv: ['/usr/bin/tool'] }, p).effect).toBe('allow');
  });

  it('matches env assignments, cwd globs, requester and program globs', () => {
    const p = policy(yaml);
    expect(
      engine.evaluate(
        { ...ctx, argv: ['sh', '-c', 'AWS_PROFILE=prod-eu aws s3 ls'], shell: 'AWS_PROFILE=prod-eu aws s3 ls' },
        p,
      ).effect,
    ).toBe('approve');
    expect(engine.evaluate({ ...ctx, argv: ['aws', 's3', 'ls'], env: { AWS_PROFILE: 'prod' } }, p).effect).toBe(
      'approve',
    );
    expect(engine.evaluate({ ...ctx, argv: ['aws', 's3', 'ls'] }, p).effect).toBe('allow');
    expect(engine.evaluate({ ...ctx, cwd: '/srv/prod/app', argv: ['make'] }, p).effect).toBe('approve');
    expect(engine.evaluate({ ...ctx, argv: ['make'] }, p).effect).toBe('allow');
    expect(
      engine.evaluate({ ...ctx, requester: { user: 'bob', agent: 'codex' }, argv: ['git', 'push'] }, p).effect,
    ).toBe('deny');
    expect(engine.evaluate({ ...ctx, argv: ['git', 'push'] }, p).effect).toBe('allow');
    expect(engine.evaluate({ ...ctx, argv: ['mkfs.ext4', '/dev/sdb'] }, p).effect).toBe('deny');
  });

  it('uses on_unresolved for what it cannot read', () => {
    const d = engine.evaluate({ ...ctx, argv: ['sh', '-c', '$CMD'], shell: '$CMD' }, policy(yaml));
    expect(d.effect).toBe('deny');
  });

  it('turns a deny that holds only through a computed word into on_unresolved', () => {
    const d = h.line('rm -rf "$TARGET"');
    expect(d.effect).toBe('approve');
    expect(d.matches.find((m) => m.ruleId === 'fs.rm-root')?.possible).toBe(true);
  });

  it('applies the policy default per command when no rule matches', () => {
    const p = policy(
      'version: 1\ndefault: approve\nrules:\n  - {id: t.ls, description: ls, effect: allow, match: {program: ls}}\n',
    );
    expect(engine.evaluate({ ...ctx, argv: ['ls'] }, p).effect).toBe('allow');
    expect(engine.evaluate({ ...ctx, argv: ['sh', '-c', 'ls | wc -l'], shell: 'ls | wc -l' }, p).effect).toBe(
      'approve',
    );
  });

  it('does not apply the default to pure wrappers, only to what they run', () => {
    const p = policy(
      'version: 1\ndefault: approve\nrules:\n  - {id: t.get, description: get, effect: allow, match: {program: kubectl, subcommand: get}}\n',
    );
    const judge = (line: string) => engine.evaluate({ ...ctx, argv: ['sh', '-c', line], shell: line }, p).effect;
    expect(judge('sudo kubectl get pods')).toBe('allow');
    expect(judge("bash -c 'timeout 5 kubectl get pods'")).toBe('allow');
    expect(judge('sudo -s')).toBe('approve');
    expect(judge('bash build.sh')).toBe('approve');
    expect(judge('sudo kubectl delete pod x')).toBe('approve');
  });

  it('records the policy digest in every decision', () => {
    const p = policy(yaml);
    expect(engine.evaluate({ ...ctx, argv: ['ls'] }, p).policyDigest).toBe(p.digest);
    expect(p.digest).toMatch(/^[0-9a-f]{64}$/);
  });
});
