/**
 * The hook (built CLI, real daemon) applies Codex's and Gemini CLI's own rules to a command before
 * it rewrites it (decision 0818): the client's refusal is returned instead of a rewrite that would
 * hide the command from those rules, and rules guard cannot read as the client does refuse too.
 * The clients' files live in a scratch HOME (CODEX_HOME for Codex), as the clients read them.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CONFIG_BYTES } from '../../src/context/fsutil.js';
import { runCli } from '../helpers/cli.js';
import { codexInput, geminiInput, install, startDaemon, type Install } from './helpers.js';

let inst: Install;
let stop: () => Promise<void>;
let env: NodeJS.ProcessEnv;
let agentHome: string;
beforeAll(async () => {
  inst = install({ GUARD_NO_AUTOSTART: '1' });
  stop = await startDaemon(inst.env);
  agentHome = join(inst.work, '..', 'agent-home');
  env = { ...inst.env, HOME: agentHome, CODEX_HOME: join(agentHome, '.codex') };
});
afterAll(async () => {
  await stop();
  inst.cleanup();
});
afterEach(() => {
  rmSync(agentHome, { recursive: true, force: true });
  rmSync(join(inst.work, '.codex'), { recursive: true, force: true });
  rmSync(join(inst.work, '.gemini'), { recursive: true, force: true });
});

function put(file: string, text: string): string {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
  return file;
}

interface Answer {
  decision?: string;
  reason?: string;
  hookSpecificOutput?: {
    permissionDecision?: string;
    permissionDecisionReason?: string;
    updatedInput?: { command: string };
    tool_input?: { command: string };
  };
}

async function hook(agent: 'codex' | 'gemini', command: string, args: string[] = []) {
  const r = await runCli(['hook', agent, ...args], {
    env,
    input: agent === 'codex' ? codexInput(command, inst.work) : geminiInput(command, inst.work),
    cwd: inst.work,
  });
  const out = r.stdout.toString();
  return {
    status: r.status,
    answer: out === '' ? undefined : (JSON.parse(out) as Answer),
    stderr: r.stderr.toString(),
  };
}

describe("Codex's own rules before a rewrite", () => {
  it('a held command that a Codex rule forbids is refused with the rule, not rewritten', async () => {
    const file = put(
      join(agentHome, '.codex', 'rules', 'default.rules'),
      'prefix_rule(pattern=["terraform", ["apply", "destroy"]], decision="forbidden", justification="infra changes go through CI")\n',
    );
    const r = await hook('codex', 'cd /tmp && terraform apply -auto-approve');
    expect(r.status).toBe(0);
    expect(r.answer?.hookSpecificOutput?.permissionDecision).toBe('deny');
    const reason = r.answer?.hookSpecificOutput?.permissionDecisionReason ?? '';
    expect(reason).toContain("refused by Codex's own rule");
    expect(reason).toContain(`${file}: prefix_rule(pattern=["terraform", ["apply","destroy"]], decision="forbidden")`);
    expect(reason).toContain('infra changes go through CI');
    expect(r.answer?.hookSpecificOutput?.updatedInput).toBeUndefined();
  });

  it('a prompt rule refuses too (Codex cannot ask about a rewritten line); a project rule counts', async () => {
    put(join(inst.work, '.codex', 'rules', 'p.rules'), 'prefix_rule(pattern=["terraform"], decision="prompt")\n');
    const r = await hook('codex', 'terraform plan');
    expect(r.answer?.hookSpecificOutput?.permissionDecision).toBe('deny');
    expect(r.answer?.hookSpecificOutput?.permissionDecisionReason).toContain("Codex's own rule asks a human");
  });

  it('a command no Codex rule refuses is rewritten as before (allow rules and other programs)', async () => {
    put(
      join(agentHome, '.codex', 'rules', 'default.rules'),
      'prefix_rule(pattern=["terraform", "plan"], decision="allow")\nprefix_rule(pattern=["rm"], decision="forbidden")\n',
    );
    const r = await hook('codex', 'terraform plan');
    expect(r.answer?.hookSpecificOutput?.permissionDecision).toBe('allow');
    expect(r.answer?.hookSpecificOutput?.updatedInput?.command).toContain('terraform plan');
  });

  it("a held line with a forced rm no Codex rule allows is refused (Codex's own check would ask)", async () => {
    const r = await hook('codex', 'terraform plan && rm -f plan.out');
    expect(r.answer?.hookSpecificOutput?.permissionDecision).toBe('deny');
    expect(r.answer?.hookSpecificOutput?.permissionDecisionReason).toContain(
      "Codex's own check flags this command (rm -f plan.out",
    );
    put(join(agentHome, '.codex', 'rules', 'default.rules'), 'prefix_rule(pattern=["rm"], decision="allow")\n');
    const allowed = await hook('codex', 'terraform plan && rm -f plan.out');
    expect(allowed.answer?.hookSpecificOutput?.permissionDecision).toBe('allow');
  });

  it('rules guard cannot evaluate as Codex does refuse a held command, naming the file', async () => {
    const file = put(
      join(agentHome, '.codex', 'rules', 'star.rules'),
      'P = ["terraform"]\nprefix_rule(pattern=P, decision="forbidden")\n',
    );
    const r = await hook('codex', 'terraform plan');
    expect(r.answer?.hookSpecificOutput?.permissionDecision).toBe('deny');
    expect(r.answer?.hookSpecificOutput?.permissionDecisionReason).toContain(`cannot apply Codex's own rules`);
    expect(r.answer?.hookSpecificOutput?.permissionDecisionReason).toContain(file);
    // an allowed command is passed: Codex applies its own rules to it
    const allowed = await hook('codex', 'echo hi');
    expect([allowed.status, allowed.answer]).toEqual([0, undefined]);
  });
});

describe('rule files the agent can plant do not stall the hook', () => {
  it('a FIFO or an oversized file named like a rules file refuses a held command at once', async () => {
    const fifo = join(agentHome, '.codex', 'rules', 'pipe.rules');
    mkdirSync(join(fifo, '..'), { recursive: true });
    execFileSync('mkfifo', [fifo]);
    const r = await hook('codex', 'terraform plan');
    expect(r.answer?.hookSpecificOutput?.permissionDecision).toBe('deny');
    expect(r.answer?.hookSpecificOutput?.permissionDecisionReason).toContain(
      `${fifo}: cannot read it as a regular text file`,
    );
    rmSync(fifo);
    const big = put(join(inst.work, '.gemini', 'policies', 'big.toml'), `# ${'x'.repeat(MAX_CONFIG_BYTES)}\n`);
    const g = await hook('gemini', 'terraform plan');
    expect(g.answer?.decision).toBe('deny');
    expect(g.answer?.reason).toContain(`${big}: cannot read it as a regular text file`);
  });

  it('a Gemini pattern that backtracks without end refuses instead of hanging the hook', async () => {
    put(
      join(agentHome, '.gemini', 'policies', 'slow.toml'),
      '[[rule]]\ntoolName = "run_shell_command"\ncommandRegex = ".*(a|a)*b"\ndecision = "deny"\npriority = 1\n',
    );
    const r = await hook('gemini', `terraform plan ${'a'.repeat(60)}`);
    expect(r.answer?.decision).toBe('deny');
    expect(r.answer?.reason).toContain('took longer than');
  });
});

describe("Gemini CLI's own policy before a rewrite", () => {
  it('a held command that a Gemini policy denies is refused with its rule and message', async () => {
    const file = put(
      join(agentHome, '.gemini', 'policies', 'own.toml'),
      '[[rule]]\ntoolName = "run_shell_command"\ncommandPrefix = "terraform"\ndecision = "deny"\npriority = 500\ndenyMessage = "no infra from here"\n',
    );
    const r = await hook('gemini', 'echo start; terraform apply');
    expect(r.status).toBe(0);
    expect(r.answer?.decision).toBe('deny');
    expect(r.answer?.reason).toContain("refused by Gemini CLI's own policy");
    expect(r.answer?.reason).toContain(`${file}: commandPrefix = "terraform", decision = "deny" — no infra from here`);
  });

  it('with --allowed record, an allowed command a Gemini rule denies is refused instead of rewritten', async () => {
    put(
      join(inst.work, '.gemini', 'policies', 'p.toml'),
      '[[rule]]\ntoolName = "run_shell_command"\ncommandRegex = "echo secret"\ndecision = "ask_user"\npriority = 1\n',
    );
    const r = await hook('gemini', 'echo secret', ['--allowed', 'record']);
    expect(r.answer?.decision).toBe('deny');
    expect(r.answer?.reason).toContain("Gemini CLI's own policy asks a human");
    const other = await hook('gemini', 'echo public', ['--allowed', 'record']);
    expect(other.answer?.hookSpecificOutput?.tool_input?.command).toContain('echo public');
  });

  it('a policy file guard cannot read as Gemini does refuses a held command', async () => {
    const file = put(join(agentHome, '.gemini', 'policies', 'bad.toml'), '[[rule]\n');
    const r = await hook('gemini', 'terraform plan');
    expect(r.answer?.decision).toBe('deny');
    expect(r.answer?.reason).toContain(file);
    expect(r.answer?.reason).toContain('TOML parsing failed');
  });
});
