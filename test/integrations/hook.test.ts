/**
 * `guard hook <agent>` in-process against a real daemon (started in this process from src/, with
 * the install's layered policy): recorded-format inputs, the exact output contract and exit codes,
 * and what the hook has the daemon record. The rewritten commands are run in hook-e2e.test.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type DaemonHandle } from '../../src/daemon/daemon.js';
import { guardInProcess } from '../helpers/inprocess.js';
import { claudeInput, codexInput, cursorInput, geminiInput, install, ledgerRecords, type Install } from './helpers.js';

let inst: Install;
let daemon: DaemonHandle;
beforeAll(async () => {
  inst = install();
  daemon = await startDaemon({ env: inst.env });
});
afterAll(async () => {
  await daemon.stop('test over');
  inst.cleanup();
});

const hook = (agent: string, stdin: string, extra: string[] = []) =>
  guardInProcess(['hook', agent, ...extra], { env: inst.env, cwd: inst.work, stdin });

describe('claude-code', () => {
  it('blocks a denied command with the documented deny answer and the reason', async () => {
    const r = await hook('claude-code', claudeInput('shred -u notes.txt', inst.work));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { hookSpecificOutput: Record<string, unknown> };
    expect(Object.keys(out)).toEqual(['hookSpecificOutput']);
    expect(out.hookSpecificOutput['hookEventName']).toBe('PreToolUse');
    expect(out.hookSpecificOutput['permissionDecision']).toBe('deny');
    expect(out.hookSpecificOutput['permissionDecisionReason']).toMatch(/^denied by policy: .*shred/);
    expect(out.hookSpecificOutput['updatedInput']).toBeUndefined();
  });

  it('blocks a denied command hidden inside a compound line', async () => {
    const r = await hook('claude-code', claudeInput('ls && echo ok; bash -c "shred -u x" | cat', inst.work));
    expect(JSON.parse(r.stdout)).toMatchObject({ hookSpecificOutput: { permissionDecision: 'deny' } });
  });

  it('passes an allowed command unchanged with --allowed pass (no output, exit 0)', async () => {
    const r = await hook('claude-code', claudeInput('ls -la', inst.work), ['--allowed', 'pass']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('ignores other tools (no opinion)', async () => {
    const input = claudeInput('x', inst.work, {
      tool_name: 'Write',
      tool_input: { file_path: '/tmp/x', content: 'y' },
    });
    expect(await hook('claude-code', input)).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('blocks (exit 2) every command when no daemon runs — there is no local policy fallback', async () => {
    const other = install();
    try {
      for (const [command, extra] of [
        ['ls -la', []],
        ['ls -la', ['--allowed', 'pass']],
        ['terraform apply', []],
        ['shred x', []],
      ] as const) {
        const r = await guardInProcess(['hook', 'claude-code', ...extra], {
          env: other.env,
          cwd: other.work,
          stdin: claudeInput(command, other.work),
        });
        expect(r.code).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(
          /^guard: guard could not judge this command, so it was blocked: .*daemon is not reachable/,
        );
      }
    } finally {
      other.cleanup();
    }
  });

  it.each([
    ['malformed JSON', '{"tool_name": "Bash", "tool_input": {"command": "ls"', /not valid JSON/],
    ['empty input', '', /hook input is empty/],
    ['a JSON array', '[1,2]', /must be a JSON object/],
    [
      'a command that is not a string',
      JSON.stringify({ hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: ['ls'] } }),
      /command must be a string/,
    ],
    [
      'no tool_input',
      JSON.stringify({ hook_event_name: 'PreToolUse', tool_name: 'Bash' }),
      /tool_input must be a JSON object/,
    ],
    [
      'a relative cwd',
      JSON.stringify({ hook_event_name: 'PreToolUse', tool_name: 'Bash', cwd: 'rel', tool_input: { command: 'ls' } }),
      /absolute path/,
    ],
    [
      'a NUL byte in the command',
      JSON.stringify({ hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'ls\u0000rm' } }),
      /NUL/,
    ],
  ])('blocks on %s (exit 2, reason on stderr, nothing on stdout)', async (_name, stdin, why) => {
    const r = await hook('claude-code', stdin);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(why);
  });

  it('blocks a huge command and a huge input', async () => {
    const big = await hook('claude-code', claudeInput(`echo ${'a'.repeat(200 * 1024)}`, inst.work));
    expect(big.code).toBe(2);
    expect(big.stderr).toMatch(/guard judges commands up to 102400 bytes/);
    const huge = await hook('claude-code', claudeInput('ls', inst.work, { padding: 'x'.repeat(2 * 1024 * 1024) }));
    expect(huge.code).toBe(2);
    expect(huge.stderr).toMatch(/larger than 1048576 bytes/);
  });

  it("blocks when the daemon cannot load the project's policy, naming the file", async () => {
    const project = join(inst.work, 'broken-project');
    mkdirSync(join(project, '.guard'), { recursive: true });
    writeFileSync(join(project, '.guard', 'broken.yaml'), 'version: 1\nrules:\n  - id: Bad Id\n');
    const r = await hook('claude-code', claudeInput('ls', project), ['--allowed', 'pass']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^guard: guard could not judge this command, so it was blocked: the daemon could not decide/,
    );
    expect(r.stderr).toContain('broken.yaml');
  });

  it('blocks an unknown agent and a bad option value', async () => {
    expect((await hook('vim', claudeInput('ls', inst.work))).code).toBe(2);
    const r = await hook('claude-code', claudeInput('ls', inst.work), ['--allowed', 'maybe']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--allowed must be record or pass/);
  });
});

describe('codex', () => {
  it('denies with permissionDecision deny and passes allowed commands silently', async () => {
    const d = await hook('codex', codexInput('shred /tmp/x', inst.work));
    expect(d.code).toBe(0);
    expect(JSON.parse(d.stdout)).toEqual({
      hookSpecificOutput: {
        hookEventName: 'PreToolUse',
        permissionDecision: 'deny',
        permissionDecisionReason: expect.stringMatching(/^denied by policy/) as unknown,
      },
    });
    expect(await hook('codex', codexInput('git status', inst.work), ['--allowed', 'pass'])).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    expect((await hook('codex', 'not json')).code).toBe(2);
  });
});

describe('gemini', () => {
  it('denies with decision/reason and ignores other tools', async () => {
    const d = await hook('gemini', geminiInput('shred x', inst.work));
    expect(d.code).toBe(0);
    expect(JSON.parse(d.stdout)).toEqual({
      decision: 'deny',
      reason: expect.stringMatching(/^denied by policy/) as unknown,
    });
    const other = JSON.stringify({
      hook_event_name: 'BeforeTool',
      tool_name: 'read_file',
      tool_input: { file_path: 'a' },
      cwd: inst.work,
    });
    expect(await hook('gemini', other)).toEqual({ code: 0, stdout: '', stderr: '' });
    expect((await hook('gemini', '{')).code).toBe(2);
  });
});

describe('the directory a command runs in', () => {
  it("judges under the project layer of Gemini's dir_path", async () => {
    const sub = join(inst.work, 'sub');
    mkdirSync(join(sub, '.guard'), { recursive: true });
    writeFileSync(
      join(sub, '.guard', 'tighten.yaml'),
      'version: 1\nrules:\n  - id: project.no-curl\n    description: no curl in this project\n    effect: deny\n    match: { program: curl }\n',
    );
    const there = await hook('gemini', geminiInput('curl -s example.invalid', inst.work, 'sub'), ['--allowed', 'pass']);
    expect(JSON.parse(there.stdout)).toMatchObject({
      decision: 'deny',
      reason: expect.stringMatching(/no curl in this project/) as unknown,
    });
    const here = await hook('gemini', geminiInput('curl -s example.invalid', inst.work), ['--allowed', 'pass']);
    expect(here).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});

describe('cursor', () => {
  it('answers permission allow / deny, and hands approval to guard exec', async () => {
    const allow = await hook('cursor', cursorInput('ls', inst.work));
    expect(JSON.parse(allow.stdout)).toEqual({ permission: 'allow' });
    const deny = await hook('cursor', cursorInput('shred x', inst.work));
    expect(JSON.parse(deny.stdout)).toMatchObject({
      permission: 'deny',
      agent_message: expect.stringMatching(/^denied by policy/) as unknown,
    });
    const approve = await hook('cursor', cursorInput('terraform destroy', inst.work));
    const answer = JSON.parse(approve.stdout) as { permission: string; agent_message: string };
    expect(answer.permission).toBe('deny');
    const handoff = /exactly as: (.*) — guard will hold it/.exec(answer.agent_message)?.[1];
    expect(handoff).toContain(`exec --reason`);
    expect(handoff).toContain(`-- bash -c 'terraform destroy'`);
    // the agent re-runs it as told: that one command goes to guard exec, which judges it itself
    const again = await hook('cursor', cursorInput(handoff!, inst.work));
    expect(JSON.parse(again.stdout)).toEqual({ permission: 'allow' });
    // but not with anything added to it
    const smuggled = await hook('cursor', cursorInput(`${handoff!}; shred x`, inst.work));
    expect(JSON.parse(smuggled.stdout)).toMatchObject({ permission: 'deny' });
    const otherHome = await hook('cursor', cursorInput(`GUARD_HOME=/tmp/x ${handoff!}`, inst.work));
    expect(JSON.parse(otherHome.stdout)).toMatchObject({ permission: 'deny' });
  });
});

describe('guard settings', () => {
  it.each([
    'GUARD_HOME=/tmp/other guard exec -- shred x',
    'export GUARD_HOME=/tmp/x; ls',
    'unset GUARD_SYSTEM_POLICIES',
    'env GUARD_DEFAULT_POLICIES=/tmp/p ls',
    'XDG_STATE_HOME=/tmp ls',
    // however quoted or escaped (issue 13 item 8)
    "export GUARD_SOCK''ET=/tmp/evil.sock",
    'export GUARD_SOCK""ET=/tmp/evil.sock; ls',
    "printf 'export GUARD_SOCK''ET=/tmp/evil.sock\\n' >> ~/.bashrc",
    "printf '\\x47UARD_SOCKET=/tmp/evil.sock\\n' >> ~/.bashrc",
    "printf '\\107UARD_HOME=/tmp/x' >> ~/.profile",
    'export GUARD_\\HOME=/tmp/x',
    "export $'GUARD_\\x48OME'=/tmp/x",
    'GUARD_HO\\\nME=/tmp/x ls',
  ])('refuses a command that changes them: %s', async (command) => {
    const r = await hook('claude-code', claudeInput(command, inst.work), ['--allowed', 'pass']);
    expect(JSON.parse(r.stdout)).toMatchObject({
      hookSpecificOutput: {
        permissionDecision: 'deny',
        permissionDecisionReason: expect.stringMatching(/guard's own settings/) as unknown,
      },
    });
  });

  it('lets a command read them', async () => {
    const r = await hook('claude-code', claudeInput('echo "$GUARD_HOME" ${GUARD_HOME}', inst.work), [
      '--allowed',
      'pass',
    ]);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});

describe('what the hook records (through the daemon)', () => {
  const since = async (n: number) => (await ledgerRecords(inst.env)).slice(n);
  const count = async () => (await ledgerRecords(inst.env)).length;

  it('records a denial made in the hook, before answering, labelled with the agent', async () => {
    const n = await count();
    const r = await hook('claude-code', claudeInput('shred -u secret.txt', inst.work));
    expect(JSON.parse(r.stdout)).toMatchObject({ hookSpecificOutput: { permissionDecision: 'deny' } });
    const recs = await since(n);
    expect(recs.map((x) => x.type)).toEqual(['request', 'decision']);
    expect(recs[0]!.payload).toMatchObject({
      via: 'hook:claude-code',
      argv: ['bash', '-c', 'shred -u secret.txt'],
      cwd: inst.work,
      requester: { agent: 'claude-code' },
      context: { 'hook.session': 'abc123' },
    });
    expect(recs[1]!.payload).toMatchObject({ effect: 'deny', rules: ['test.deny-shred'], via: 'hook:claude-code' });
  });

  it('records an allowed command in pass mode (always for Claude Code and Codex), but leaves a rewrite to guard exec', async () => {
    const n = await count();
    await hook('codex', codexInput('ls -la', inst.work), ['--allowed', 'pass']);
    const passed = await since(n);
    expect(passed.map((x) => [x.type, x.payload['via']])).toEqual([
      ['request', 'hook:codex'],
      ['decision', 'hook:codex'],
    ]);
    expect(passed[1]!.payload['effect']).toBe('allow');
    const m = await count();
    for (const command of ['ls -la', 'terraform apply']) {
      const r = await hook('gemini', geminiInput(command, inst.work), ['--allowed', 'record']);
      expect(JSON.parse(r.stdout)).toMatchObject({ hookSpecificOutput: { hookEventName: 'BeforeTool' } });
    }
    expect(await count()).toBe(m);
    // Claude Code and Codex: an allowed command is passed (their own checks decide) and recorded
    // even when record mode is asked for; a held one is still left to guard exec
    const allowed = await hook('claude-code', claudeInput('ls -la', inst.work), ['--allowed', 'record']);
    expect(allowed.stdout).toBe('');
    expect((await since(m)).map((x) => [x.type, x.payload['via']])).toEqual([
      ['request', 'hook:claude-code'],
      ['decision', 'hook:claude-code'],
    ]);
    const k = await count();
    const held = await hook('claude-code', claudeInput('terraform apply', inst.work));
    const heldOut = (JSON.parse(held.stdout) as { hookSpecificOutput: Record<string, unknown> }).hookSpecificOutput;
    expect(heldOut['updatedInput']).toBeDefined();
    expect(heldOut['permissionDecision']).toBeUndefined();
    expect(await count()).toBe(k);
  });

  it("records Cursor's allowed, handed-off and denied commands, but not its guard exec hand-off line", async () => {
    const n = await count();
    await hook('cursor', cursorInput('ls', inst.work));
    const approve = await hook('cursor', cursorInput('terraform destroy', inst.work));
    const effects = (await since(n)).filter((x) => x.type === 'decision').map((x) => x.payload['effect']);
    expect(effects).toEqual(['allow', 'approve']);
    const handoff = /exactly as: (.*) — guard will hold it/.exec(
      (JSON.parse(approve.stdout) as { agent_message: string }).agent_message,
    )?.[1];
    const m = await count();
    expect(JSON.parse((await hook('cursor', cursorInput(handoff!, inst.work))).stdout)).toEqual({
      permission: 'allow',
    });
    expect(await count()).toBe(m);
  });

  it('never records a secret from the command in clear', async () => {
    const token = `ghp_${'Zz09'.repeat(9)}`;
    const n = await count();
    const r = await hook('gemini', geminiInput(`shred --key ${token} x`, inst.work));
    expect(JSON.parse(r.stdout)).toMatchObject({ decision: 'deny' });
    const recs = await since(n);
    expect(recs).toHaveLength(2);
    expect(JSON.stringify(recs)).not.toContain(token);
  });
});
