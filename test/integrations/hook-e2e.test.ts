/**
 * The hook through the built CLI (`node bin/guard.js hook …` with stdin) against a real daemon:
 * rewrites run through guard exec exactly (quoting), reach the ledger, wait for approval, and
 * guard's own failures exit 2 — also when guard cannot even start (the `|| exit 2` in the config).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentConfig } from '../../src/integrations/config/agents.js';
import {
  BIN,
  collect,
  EXEC_CLIENTS,
  guardCommand,
  NATIVE_BIN,
  NATIVE_BUILT,
  runCli,
  skipClient,
  type ExecClient,
} from '../helpers/cli.js';
import { claudeInput, codexInput, geminiInput, install, ledgerRecords, startDaemon, type Install } from './helpers.js';

let inst: Install;
let stop: () => Promise<void>;
/** The hook runs as `node bin/guard.js hook …` and as the native client's `guard-native hook …` (decision 0036). */
let client: ExecClient = 'node';
const HOOK_CLIENTS = EXEC_CLIENTS.filter((c) => !skipClient(c));
beforeAll(async () => {
  inst = install({ GUARD_NO_AUTOSTART: '1' });
  stop = await startDaemon(inst.env);
});
afterAll(async () => {
  await stop();
  inst.cleanup();
});

interface ClaudeAnswer {
  hookSpecificOutput: {
    hookEventName: string;
    permissionDecision?: string;
    permissionDecisionReason?: string;
    additionalContext?: string;
    updatedInput?: Record<string, unknown>;
  };
}

async function claude(
  command: string,
): Promise<{ status: number | null; answer: ClaudeAnswer | undefined; stderr: string }> {
  const r = await runCli(['hook', 'claude-code'], {
    client,
    env: inst.env,
    input: claudeInput(command, inst.work),
    cwd: inst.work,
  });
  const out = r.stdout.toString();
  return {
    status: r.status,
    answer: out === '' ? undefined : (JSON.parse(out) as ClaudeAnswer),
    stderr: r.stderr.toString(),
  };
}

/** Gemini's rewrite of an allowed command (Gemini keeps record mode: its own checks ran before the hook). */
async function gemini(command: string): Promise<string> {
  const r = await runCli(['hook', 'gemini', '--allowed', 'record'], {
    client,
    env: inst.env,
    input: geminiInput(command, inst.work),
    cwd: inst.work,
  });
  const out = JSON.parse(r.stdout.toString()) as { hookSpecificOutput: { tool_input: { command: string } } };
  return out.hookSpecificOutput.tool_input.command;
}

/** Run a command line the way the agent's Bash tool does. */
function bash(line: string, env: NodeJS.ProcessEnv = inst.env) {
  return collect(spawn('/bin/bash', ['-c', line], { env, cwd: inst.work }));
}

const TRICKY = [
  `echo "it's" 'a "test"' \\$HOME`,
  `printf '%s\\n' 'single '\\''quote'\\''' "dollar \\$x" 'back\\slash' | cat`,
  `echo $((1 + 2)) && echo "$(echo nested)"; true`,
  `printf 'é ü 中文 \\t tab\\n'`,
  `cat <<'EOF'\nline one\n  'quoted' "double" $NOT_EXPANDED\nEOF`,
];

describe.each(HOOK_CLIENTS)('claude-code hook, built CLI, real daemon, %s client', (c) => {
  beforeAll(() => {
    client = c;
  });

  it.each(TRICKY)('rewrites an allowed command (Gemini) so that it runs exactly as written: %s', async (command) => {
    const rewritten = await gemini(command);
    expect(rewritten).toContain(`'${NATIVE_BUILT ? NATIVE_BIN : BIN}' exec --reason`);
    const direct = await bash(command);
    const viaGuard = await bash(rewritten);
    expect(viaGuard.stdout.toString()).toBe(direct.stdout.toString());
    expect(viaGuard.status).toBe(direct.status);
  });

  it('passes an allowed command to Claude Code unchanged (its own checks decide) and records the decision', async () => {
    const marker = `pass-probe-${Date.now()}`;
    const { status, answer, stderr } = await claude(`echo ${marker}`);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(answer).toBeUndefined();
    const records = (await ledgerRecords(inst.env)).filter((r) => r.payload['via'] === 'hook:claude-code');
    const request = records.find((r) => r.type === 'request' && JSON.stringify(r.payload).includes(marker));
    expect(request).toBeDefined();
    expect(
      records.find((r) => r.type === 'decision' && r.payload['requestId'] === request!.payload['requestId'])?.payload[
        'effect'
      ],
    ).toBe('allow');
  });

  it('records a rewritten command in the ledger with its exit status', async () => {
    const marker = `ledger-probe-${Date.now()}`;
    const run = await bash(await gemini(`echo ${marker}; exit 3`));
    expect(run.status).toBe(3);
    const shown = await runCli(['ledger', 'show', '--json'], { env: inst.env });
    const records = shown.stdout
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; payload: Record<string, unknown> });
    const request = records.find((r) => r.type === 'request' && JSON.stringify(r.payload).includes(marker));
    expect(request).toBeDefined();
    const end = records.find((r) => r.type === 'exec_end' && r.payload['exitCode'] === 3);
    expect(end).toBeDefined();
  });

  it('rewrites a command that needs approval: it waits in guard exec and never runs when refused', async () => {
    const marker = join(inst.work, 'approved-ran');
    const { status, answer } = await claude(`terraform apply; touch ${marker}`);
    expect(status).toBe(0);
    const out = answer!.hookSpecificOutput;
    // no decision: Claude's own permission pipeline decides on the rewritten line (decision 0815)
    expect(out.permissionDecision).toBeUndefined();
    expect(out.additionalContext).toMatch(/^guard: needs human approval: .*terraform/);
    expect(out.updatedInput).toMatchObject({ description: 'run it', timeout: 600000 });
    const waiting = bash(out.updatedInput!['command'] as string);
    let id: string | undefined;
    for (let i = 0; i < 100 && id === undefined; i++) {
      const list = await runCli(['requests', '--json'], { env: inst.env });
      id = /"(rq-[0-9a-f]{12})"/.exec(list.stdout.toString())?.[1];
      if (id === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(id).toBeDefined();
    const shown = await runCli(['show', id!, '--json'], { env: inst.env });
    expect(shown.stdout.toString()).toContain('claude-code asks to run this (session abc123)');
    await runCli(['revoke', id!], { env: inst.env });
    const r = await waiting;
    expect(r.status).toBe(76);
    expect(existsSync(marker)).toBe(false);
  });

  it('blocks a denied command before anything runs, and the denial is on the ledger', async () => {
    // one file name per client: both suites share this install's ledger
    const { status, answer } = await claude(`shred -u important-${client}.txt`);
    expect(status).toBe(0);
    expect(answer!.hookSpecificOutput.permissionDecision).toBe('deny');
    const all = (await ledgerRecords(inst.env)).filter((r) => r.payload['via'] === 'hook:claude-code');
    const ids = new Set(
      all
        .filter((r) => String(r.payload['command']).includes(`important-${client}.txt`))
        .map((r) => r.payload['requestId']),
    );
    const records = all.filter((r) => ids.has(r.payload['requestId']));
    expect(records.map((r) => [r.type, r.payload['effect'] ?? r.payload['command']])).toEqual([
      ['request', `bash -c 'shred -u important-${client}.txt'`],
      ['decision', 'deny'],
    ]);
  });

  it('rewrites for Codex with permissionDecision allow and updatedInput {command} only', async () => {
    const r = await runCli(['hook', 'codex'], {
      client,
      env: inst.env,
      input: codexInput('terraform plan', inst.work),
      cwd: inst.work,
    });
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.toString()) as ClaudeAnswer;
    expect(out.hookSpecificOutput.hookEventName).toBe('PreToolUse');
    expect(out.hookSpecificOutput.permissionDecision).toBe('allow');
    expect(Object.keys(out.hookSpecificOutput.updatedInput!)).toEqual(['command']);
    expect(out.hookSpecificOutput.updatedInput!['command']).toMatch(
      /^\{ IFS= read -r -d '' guard_command <&3; GUARD_AGENT='codex' GUARD_AGENT_SESSION='thread-1' GUARD_HOME='[^']+' '.*' exec --reason 'codex asks to run this \(session thread-1\)' -- bash -c "\$\{guard_command%\?\}" 3<&-; \} 3<<'GUARD_CMD_[0-9a-f]{16}'\nterraform plan\nGUARD_CMD_[0-9a-f]{16}$/,
    );
  });

  it('passes an allowed command to Gemini CLI by default, and rewrites it with --allowed record', async () => {
    const passed = await runCli(['hook', 'gemini'], {
      client,
      env: inst.env,
      input: geminiInput('echo gem', inst.work),
      cwd: inst.work,
    });
    expect(passed.status).toBe(0);
    expect(passed.stdout.toString()).toBe('');
    const r = await runCli(['hook', 'gemini', '--allowed', 'record'], {
      client,
      env: inst.env,
      input: geminiInput('echo gem', inst.work),
      cwd: inst.work,
    });
    const out = JSON.parse(r.stdout.toString()) as {
      hookSpecificOutput: { hookEventName: string; tool_input: { command: string } };
    };
    expect(out.hookSpecificOutput.hookEventName).toBe('BeforeTool');
    expect((await bash(out.hookSpecificOutput.tool_input.command)).stdout.toString()).toBe('gem\n');
  });

  it('exits 2 on malformed input and when the daemon is down', async () => {
    const bad = await runCli(['hook', 'claude-code'], {
      client,
      env: inst.env,
      input: '{"tool_name":',
    });
    expect(bad.status).toBe(2);
    expect(bad.stdout.toString()).toBe('');
    const other = install({ GUARD_NO_AUTOSTART: '1' });
    try {
      const down = await runCli(['hook', 'claude-code'], {
        client,
        env: other.env,
        input: claudeInput('ls', other.work),
      });
      expect(down.status).toBe(2);
      expect(down.stderr.toString()).toMatch(/daemon is not reachable/);
    } finally {
      other.cleanup();
    }
  });

  it('blocks (exit 2) when the agent never finishes writing its input', async () => {
    const [file, lead] = guardCommand(client);
    const child = spawn(file, [...lead, 'hook', 'claude-code', '--deadline-ms', '300'], { env: inst.env });
    child.stdin.write('{"hook_event_name": "PreToolUse", ');
    const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stderr });
      });
    });
    child.stdin.destroy();
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/did not end within 300 ms|within 300 ms/);
  });

  it('the configured hook command blocks (exit 2) even when guard cannot start at all', async () => {
    const line = agentConfig('claude-code', [BIN], inst.env).handler['command'] as string;
    expect(line).toBe(`'${BIN}' hook claude-code || exit 2`);
    const crashed = await collect(
      spawn('/bin/sh', ['-c', line], { env: { ...inst.env, NODE_OPTIONS: '--no-such-node-flag' } }),
      claudeInput('ls', inst.work),
    );
    expect(crashed.status).toBe(2);
    expect(crashed.stderr.toString()).not.toBe('');
  });
});
