/** Isolated installs and recorded-format hook inputs for the integration tests. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { ask } from '../../src/daemon/replies.js';

/** A small policy with one rule per effect, so the tests do not depend on the shipped pack. */
export const TEST_POLICY = `version: 1
default: allow
on_unresolved: approve
rules:
  - id: test.deny-shred
    description: shred destroys data
    effect: deny
    match: { program: shred }
  - id: test.approve-terraform
    description: terraform changes infrastructure
    effect: approve
    match: { program: terraform }
    approval: { timeout: 5m }
`;

export interface Install {
  home: string;
  /** A directory outside any repository, used as the agent's cwd. */
  work: string;
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

/** GUARD_HOME, the test policy as the only default layer, no system layer, guard's own path. */
export function install(extra: NodeJS.ProcessEnv = {}): Install {
  const root = mkdtempSync(join(tmpdir(), 'guard-int-'));
  const home = join(root, 'home');
  const defaults = join(root, 'defaults');
  const system = join(root, 'system');
  const work = join(root, 'work');
  for (const d of [home, defaults, system, work]) mkdirSync(d, { recursive: true });
  writeFileSync(join(defaults, 'test.yaml'), TEST_POLICY);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GUARD_HOME: home,
    GUARD_DEFAULT_POLICIES: defaults,
    GUARD_SYSTEM_POLICIES: system,
    GUARD_SELF: BIN,
    GUARD_NO_AUTOSTART: '1',
    ...extra,
  };
  delete env['GUARD_AGENT'];
  return {
    home,
    work,
    env,
    cleanup: () => rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }),
  };
}

/** A Claude Code PreToolUse input as Claude Code sends it for the Bash tool. */
export function claudeInput(command: string, cwd: string, over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    session_id: 'abc123',
    transcript_path: '/tmp/transcript.jsonl',
    cwd,
    permission_mode: 'default',
    hook_event_name: 'PreToolUse',
    tool_name: 'Bash',
    tool_input: { command, description: 'run it', timeout: 120000 },
    tool_use_id: 'toolu_01ABC123',
    ...over,
  });
}

export function codexInput(command: string, cwd: string): string {
  return JSON.stringify({
    session_id: 'thread-1',
    turn_id: 'turn-1',
    transcript_path: null,
    cwd,
    hook_event_name: 'PreToolUse',
    model: 'gpt-test',
    permission_mode: 'default',
    tool_name: 'Bash',
    tool_input: { command },
    tool_use_id: 'call-1',
  });
}

export function geminiInput(command: string, cwd: string, dir?: string): string {
  return JSON.stringify({
    session_id: 's-1',
    transcript_path: '/tmp/t.json',
    cwd,
    hook_event_name: 'BeforeTool',
    timestamp: '2026-11-22T08:00:00.000Z',
    tool_name: 'run_shell_command',
    tool_input: { command, description: 'run it', ...(dir === undefined ? {} : { dir_path: dir }) },
  });
}

export function cursorInput(command: string, cwd: string): string {
  return JSON.stringify({
    hook_event_name: 'beforeShellExecution',
    conversation_id: 'conv-1',
    generation_id: 'gen-1',
    workspace_roots: [cwd],
    command,
    cwd,
  });
}

/**
 * Stop this install's daemon (if any) and wait until its process is gone. Talks to the socket
 * with the client from src/, so it works even while another build replaces dist/.
 */
export async function stopDaemon(env: NodeJS.ProcessEnv): Promise<void> {
  const { DaemonClient } = await import('../../src/daemon/client.js');
  const { guardPaths } = await import('../../src/config/paths.js');
  let pid: number | undefined;
  try {
    const client = await DaemonClient.connect(guardPaths(env).socket, 2000);
    pid = (await ask(client, { type: 'status' })).pid;
    await ask(client, { type: 'shutdown' }).catch(() => undefined);
    client.close();
  } catch {
    return; // no daemon answers: nothing to stop
  }
  for (let i = 0; i < 200; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  process.kill(pid, 'SIGKILL');
}

/** Start a daemon for this install (the built CLI); returns a stopper. */
export async function startDaemon(env: NodeJS.ProcessEnv): Promise<() => Promise<void>> {
  const { runCli } = await import('../helpers/cli.js');
  const r = await runCli(['daemon', 'start'], { env });
  if (r.status !== 0) throw new Error(`daemon start failed: ${r.stderr.toString()}`);
  return () => stopDaemon(env);
}

export interface LedgerRow {
  seq: number;
  type: string;
  payload: Record<string, unknown>;
}

/** Every ledger record, as the running daemon of this install reads it back (`history`). */
export async function ledgerRecords(env: NodeJS.ProcessEnv): Promise<LedgerRow[]> {
  const { DaemonClient } = await import('../../src/daemon/client.js');
  const { guardPaths } = await import('../../src/config/paths.js');
  const client = await DaemonClient.connect(guardPaths(env).socket, 2000);
  try {
    const records: LedgerRow[] = [];
    for (;;) {
      const page = await ask(client, {
        type: 'history',
        sinceSeq: records[records.length - 1]?.seq ?? 0,
        limit: 10_000,
      });
      records.push(...(page.records as LedgerRow[]));
      if (!page.more || page.records.length === 0) return records;
    }
  } finally {
    client.close();
  }
}

/** An install whose daemon runs for the tests of the calling suite (started before, stopped after). */
export function installWithDaemon(extra: NodeJS.ProcessEnv = {}): { readonly inst: Install } {
  let inst: Install | undefined;
  let stop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    inst = install(extra);
    stop = await startDaemon(inst.env);
  });
  afterAll(async () => {
    await stop?.();
    inst?.cleanup();
  });
  return {
    get inst(): Install {
      if (inst === undefined) throw new Error('installWithDaemon: used outside its suite');
      return inst;
    },
  };
}
