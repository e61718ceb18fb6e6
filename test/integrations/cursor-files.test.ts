/**
 * Cursor's file events through `guard hook cursor` against a real daemon with the shipped pack
 * (decision 0817): `beforeReadFile` of a credential file is refused and of an ordinary file allowed;
 * `afterFileEdit` of guard's own files or an agent's hook settings cannot be stopped (the edit is
 * made) but is reported on stderr and recorded on the ledger as after the fact; `guard init --agent
 * cursor` registers both events.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type DaemonHandle } from '../../src/daemon/daemon.js';
import { agentConfig } from '../../src/integrations/config/agents.js';
import { hasCurrentHook, mergeHook } from '../../src/integrations/config/merge.js';
import { AFTER_EDIT_NOTE } from '../../src/integrations/cursor-files.js';
import { guardInProcess } from '../helpers/inprocess.js';
import { install, ledgerRecords, type Install } from './helpers.js';

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

const hook = (stdin: string) => guardInProcess(['hook', 'cursor'], { env: inst.env, cwd: inst.work, stdin });

/** An input as Cursor documents it for its file events. */
function cursorFileInput(event: 'beforeReadFile' | 'afterFileEdit', file: string | undefined): string {
  return JSON.stringify({
    hook_event_name: event,
    conversation_id: 'conv-files',
    generation_id: 'gen-1',
    workspace_roots: [inst.work],
    ...(file === undefined ? {} : { file_path: file }),
    ...(event === 'beforeReadFile'
      ? { content: 'secret-bytes', attachments: [] }
      : { edits: [{ old_string: 'a', new_string: 'b' }] }),
  });
}

describe('Cursor beforeReadFile', () => {
  it('refuses reading a private key (the pack holds it; a read cannot wait) and allows an ordinary file', async () => {
    const key = await hook(cursorFileInput('beforeReadFile', '/home/a/.ssh/id_ed25519'));
    expect(key.code).toBe(0);
    const out = JSON.parse(key.stdout) as Record<string, string>;
    expect(out['permission']).toBe('deny');
    expect(out['agent_message']).toMatch(/^refused: reading this file .*secrets\.credential-files.*Nothing was read/);
    // the file's content Cursor sends along is never echoed back
    expect(key.stdout + key.stderr).not.toContain('secret-bytes');
    const plain = await hook(cursorFileInput('beforeReadFile', join(inst.work, 'README.md')));
    expect(JSON.parse(plain.stdout)).toEqual({ permission: 'allow' });
  });

  it('takes a relative path from the workspace root (a name starting with - is a file, not an option)', async () => {
    const r = await hook(cursorFileInput('beforeReadFile', '-rf'));
    expect(JSON.parse(r.stdout)).toEqual({ permission: 'allow' });
    const records = await ledgerRecords(inst.env);
    expect(JSON.stringify(records)).toContain(JSON.stringify(join(inst.work, '-rf')).slice(1, -1));
  });

  it('refuses a read naming no file (malformed input), and blocks when guard cannot judge', async () => {
    const none = await hook(cursorFileInput('beforeReadFile', undefined));
    expect(JSON.parse(none.stdout)).toMatchObject({ permission: 'deny' });
    expect(none.stderr).toMatch(/file_path/);
    const other = install();
    try {
      const r = await guardInProcess(['hook', 'cursor'], {
        env: other.env,
        cwd: other.work,
        stdin: cursorFileInput('beforeReadFile', join(other.work, 'a.txt')),
      });
      expect(JSON.parse(r.stdout)).toMatchObject({ permission: 'deny' });
    } finally {
      other.cleanup();
    }
  });
});

describe('Cursor afterFileEdit', () => {
  it("reports and records an edit of an agent's hook settings, after the fact; an ordinary edit is quiet", async () => {
    const target = '/home/a/.cursor/hooks.json';
    const r = await hook(cursorFileInput('afterFileEdit', target));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({});
    expect(r.stderr).toMatch(/^guard: the agent has already edited a file .*guard\.protected-redirect/);
    const records = await ledgerRecords(inst.env);
    const request = records.find((x) => x.type === 'request' && JSON.stringify(x.payload).includes(target));
    expect(request).toBeDefined();
    expect(JSON.stringify(request!.payload)).toContain(AFTER_EDIT_NOTE);
    const decision = records.find(
      (x) => x.type === 'decision' && x.payload['requestId'] === request!.payload['requestId'],
    );
    expect(decision?.payload['effect']).toBe('deny');
    const plain = await hook(cursorFileInput('afterFileEdit', join(inst.work, 'src', 'main.ts')));
    expect(plain).toEqual({ code: 0, stdout: '{}\n', stderr: '' });
  });
});

describe('guard init --agent cursor', () => {
  it('registers the hook for beforeShellExecution, beforeReadFile and afterFileEdit, keeping other hooks', () => {
    const c = agentConfig('cursor', ['/opt/guard/bin/guard'], inst.env);
    const merged = mergeHook({ hooks: { beforeReadFile: [{ command: 'my-audit' }] } }, c);
    const hooks = merged['hooks'] as Record<string, { command: string }[]>;
    expect(Object.keys(hooks).sort()).toEqual(['afterFileEdit', 'beforeReadFile', 'beforeShellExecution']);
    expect(hooks['beforeReadFile']!.map((h) => h.command)).toEqual([
      'my-audit',
      "'/opt/guard/bin/guard' hook cursor || exit 2",
    ]);
    for (const list of Object.values(hooks)) expect(list.at(-1)!.command).toMatch(/ hook cursor \|\| exit 2$/);
    // a second run replaces guard's entries instead of adding more
    expect(hasCurrentHook(merged, c)).toBe(true);
  });
});
