/**
 * Intent end to end: the Claude Code hook reads the agent's transcript (a fixture in Claude Code's
 * JSON-lines format), the built CLI's rewrite raises the approval request through guard exec, and
 * the request approvers see carries the last user message and the agent's explanation — redacted,
 * labelled as agent-supplied, hashed in the ledger — while the policy decision ignores it.
 */
import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestView } from '../../src/channels/types.js';
import { guardPaths } from '../../src/config/paths.js';
import { DaemonClient } from '../../src/daemon/client.js';
import { INTENT_LABEL } from '../../src/daemon/intent.js';
import { canonicalize } from '../../src/util/canonical.js';
import { BIN, collect, runCli } from '../helpers/cli.js';
import { findLeaks } from '../helpers/secrets.js';
import { rng, SECRET_FAKES } from '../redact/fakes.js';
import { claudeInput, install, ledgerRecords, startDaemon, type Install } from './helpers.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'claude-transcript.jsonl');
const SECRET = SECRET_FAKES['GHP']!(rng(23));

let inst: Install;
let stop: () => Promise<void>;
let transcript: string;
beforeAll(async () => {
  inst = install({ GUARD_NO_AUTOSTART: '1' });
  stop = await startDaemon(inst.env);
  transcript = join(inst.work, 'transcript.jsonl');
  writeFileSync(transcript, readFileSync(FIXTURE, 'utf8').replace('@@SECRET@@', SECRET));
});
afterAll(async () => {
  await stop();
  inst.cleanup();
});

/** The first pending view whose command contains `marker`, from the daemon's own update events. */
async function nextPending(marker: string): Promise<{ view: RequestView; close: () => void }> {
  const client = await DaemonClient.connect(guardPaths(inst.env).socket, 2000);
  const view = await new Promise<RequestView>((resolve, reject) => {
    client.onClose(reject);
    client.send({ type: 'subscribe' }, (m) => {
      const d = (m.type === 'error' ? undefined : m.data) as
        { view?: RequestView; requests?: RequestView[] } | undefined;
      const views = [...(d?.requests ?? []), ...(d?.view === undefined ? [] : [d.view])];
      const hit = views.find((v) => v.state === 'pending' && v.command.includes(marker));
      if (hit !== undefined) resolve(hit);
    });
  });
  return { view, close: () => client.close() };
}

/** Run a command line as the agent's shell would, take the view of the request it raises, revoke it. */
async function heldView(line: string, marker: string): Promise<RequestView> {
  const pending = nextPending(marker);
  const waiting = collect(spawn('/bin/bash', ['-c', line], { env: inst.env, cwd: inst.work }));
  const { view, close } = await pending;
  close();
  await runCli(['revoke', view.id], { env: inst.env });
  expect((await waiting).status).toBe(76);
  return view;
}

async function hookRewrite(command: string, over: Record<string, unknown>): Promise<string> {
  const r = await runCli(['hook', 'claude-code'], {
    env: inst.env,
    input: claudeInput(command, inst.work, { session_id: 'sess-intent', ...over }),
    cwd: inst.work,
  });
  expect(r.stderr.toString()).toBe('');
  const out = JSON.parse(r.stdout.toString()) as {
    hookSpecificOutput: { permissionDecision?: string; updatedInput: { command: string } };
  };
  expect(out.hookSpecificOutput.permissionDecision).toBeUndefined();
  return out.hookSpecificOutput.updatedInput.command;
}

describe('intent from the Claude Code transcript', () => {
  it('shows the last user message and the agent explanation on the request, redacted and labelled', async () => {
    const marker = 'intent-probe-1';
    const command = `terraform apply -var tag=${marker}`;
    const line = await hookRewrite(command, {
      transcript_path: transcript,
      tool_input: { command, description: 'Re-apply the staging stack' },
    });
    const pending = nextPending(marker);
    const waiting = collect(spawn('/bin/bash', ['-c', line], { env: inst.env, cwd: inst.work }));
    const { view, close } = await pending;
    close();
    const intent = view.intent!;
    expect(intent.label).toBe(INTENT_LABEL);
    expect(intent.source).toBe('transcript+tool_input');
    expect(intent.userMessage).toMatch(/^The staging stack is broken .*re-apply it/);
    expect(intent.userMessage).not.toContain(SECRET);
    expect(intent.userMessage).toContain('The registry token is ');
    // the agent's text after that message, not the earlier turn, not the tool result
    expect(intent.agentExplanation).toContain("I'll run terraform apply to re-create it in staging");
    expect(intent.agentExplanation).toContain('(tool description) Re-apply the staging stack');
    expect(intent.agentExplanation).not.toContain('main.tf');
    // the decision is the policy's alone (the rule holds terraform; the transcript pleads otherwise)
    expect(view.rules.map((r) => r.id)).toContain('test.approve-terraform');
    expect(view.state).toBe('pending');

    // the ledger keeps the display form and its hash, never the secret
    const records = await ledgerRecords(inst.env);
    const request = records.find((r) => r.type === 'request' && r.payload['requestId'] === view.id)!;
    const kept = request.payload['intent'] as Record<string, unknown>;
    expect(kept['sha256']).toBe(intent.sha256);
    expect(kept['userMessage']).toBe(intent.userMessage);
    const shown = { userMessage: intent.userMessage, agentExplanation: intent.agentExplanation, source: intent.source };
    expect(createHash('sha256').update(canonicalize(shown)).digest('hex')).toBe(intent.sha256);
    expect((kept['secrets'] as unknown[]).length).toBeGreaterThan(0);
    expect(findLeaks(JSON.stringify(records), [SECRET], 'ledger')).toEqual([]);

    // `guard show` (the CLI surface) carries it too
    const show = await runCli(['show', view.id, '--json'], { env: inst.env });
    expect(show.stdout.toString()).toContain('re-create it in staging');
    await runCli(['revoke', view.id], { env: inst.env });
    expect((await waiting).status).toBe(76);
  });

  it('raises the request without intent when the transcript is missing or a FIFO (never blocks)', async () => {
    const fifo = join(inst.work, 'fifo.jsonl');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    for (const [i, path] of [join(inst.work, 'nope.jsonl'), fifo].entries()) {
      const marker = `intent-probe-missing-${i}`;
      const command = `terraform apply -var tag=${marker}`;
      const line = await hookRewrite(command, { transcript_path: path, tool_input: { command } });
      expect((await heldView(line, marker)).intent).toBeUndefined();
    }
  });

  it('does not lend a check’s intent to a request from another agent session', async () => {
    const marker = 'intent-probe-other-session';
    const command = `terraform apply -var tag=${marker}`;
    await hookRewrite(command, { transcript_path: transcript, tool_input: { command } });
    // the same command by hand-written guard exec in another session: no intent
    const line = `GUARD_AGENT=claude-code GUARD_AGENT_SESSION=other '${process.execPath}' '${BIN}' exec -- bash -c '${command}'`;
    expect((await heldView(line, marker)).intent).toBeUndefined();
  });
});
