/**
 * `guard init` through the built CLI in a temp HOME and GUARD_HOME: the agent configuration is
 * merged (backup kept, other settings untouched), everything is idempotent, the genesis key is
 * pinned, and the self-test really fails when the policy lets the denied command through.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, collect, NATIVE_BIN, NATIVE_BUILT, runCli } from '../helpers/cli.js';
import { install, stopDaemon, type Install } from './helpers.js';

/** What an installed hook starts: the native client when it was built (decision 0036), else bin/guard.js. */
const HOOK_CLIENT = NATIVE_BUILT ? NATIVE_BIN : BIN;

let inst: Install;
let home: string;
beforeEach(() => {
  inst = install({ GUARD_NO_AUTOSTART: undefined });
  delete inst.env['GUARD_NO_AUTOSTART'];
  delete inst.env['GUARD_DEFAULT_POLICIES']; // the shipped pack: its fs.mkfs rule is what the self-test relies on
  home = join(inst.home, '..', 'user');
  mkdirSync(home);
  inst.env['HOME'] = home;
});
afterEach(async () => {
  await stopDaemon(inst.env);
  inst.cleanup();
});

const init = (...args: string[]) => runCli(['init', ...args], { env: inst.env, cwd: inst.work });
const backups = (dir: string) => readdirSync(dir).filter((n) => n.includes('.guard-backup-'));

describe('guard init --agent claude-code', () => {
  it('merges the hook, keeps everything else, pins the key, passes the self-test; a re-run changes nothing', async () => {
    const dir = join(home, '.claude');
    mkdirSync(dir);
    const file = join(dir, 'settings.json');
    const original = JSON.stringify({
      model: 'opus',
      hooks: { PreToolUse: [{ matcher: 'Write', hooks: [{ type: 'command', command: 'lint.sh' }] }] },
    });
    writeFileSync(file, original, { mode: 0o640 });

    const first = await init('--agent', 'claude-code', '--yes');
    const out = first.stdout.toString();
    expect(first.status, first.stderr.toString()).toBe(0);
    expect(out).toMatch(/^ok +self-test +a command the policy denies was refused \(exit 77\)/m);
    const settings = JSON.parse(readFileSync(file, 'utf8')) as { model: string; hooks: { PreToolUse: unknown[] } };
    expect(settings.model).toBe('opus');
    expect(settings.hooks.PreToolUse).toEqual([
      { matcher: 'Write', hooks: [{ type: 'command', command: 'lint.sh' }] },
      {
        matcher: 'Bash|Write|Edit|MultiEdit|NotebookEdit',
        hooks: [
          {
            type: 'command',
            command: `'${HOOK_CLIENT}' hook claude-code || exit 2`,
            timeout: 30,
          },
        ],
      },
    ]);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(backups(dir)).toHaveLength(1);
    expect(readFileSync(join(dir, backups(dir)[0]!), 'utf8')).toBe(original);

    const pinned = readFileSync(join(inst.home, 'ledger.pub'), 'utf8');
    const key = JSON.parse((await runCli(['ledger', 'pubkey', '--json'], { env: inst.env })).stdout.toString()) as {
      key: string;
      fingerprint: string;
    };
    expect(pinned).toContain(key.key);
    expect(out).toContain(key.key);
    expect(out).toContain(key.fingerprint);
    expect(existsSync(join(inst.home, 'policies', 'local.yaml'))).toBe(true);

    const before = readFileSync(file, 'utf8');
    const second = await init('--agent', 'claude-code', '--yes');
    expect(second.status).toBe(0);
    expect(second.stdout.toString()).toMatch(/already runs the guard hook/);
    expect(second.stdout.toString()).toMatch(/already pinned/);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(backups(dir)).toHaveLength(1);
  });

  it('does not change an existing file without --yes (no terminal to ask), nor one that is not JSON', async () => {
    const dir = join(home, '.claude');
    mkdirSync(dir);
    const file = join(dir, 'settings.json');
    writeFileSync(file, '{"model":"opus"}');
    const r = await init('--agent', 'claude-code');
    expect(r.status).toBe(70);
    expect(r.stdout.toString()).toMatch(/fix: re-run with --yes/);
    expect(readFileSync(file, 'utf8')).toBe('{"model":"opus"}');
    writeFileSync(file, '{"model": "opus",');
    const bad = await init('--agent', 'claude-code', '--yes');
    expect(bad.status).toBe(70);
    expect(bad.stdout.toString()).toMatch(/is not valid JSON .*guard did not change it/);
    expect(readFileSync(file, 'utf8')).toBe('{"model": "opus",');
    expect(backups(dir)).toHaveLength(0);
  });

  it('--print shows the entry and the file, and writes nothing there', async () => {
    const r = await init('--agent', 'codex', '--print');
    expect(r.status).toBe(0);
    const out = r.stdout.toString();
    expect(out).toContain(join(home, '.codex', 'hooks.json'));
    expect(out).toContain('"PreToolUse"');
    expect(out).toContain('hook codex || exit 2');
    expect(out).toMatch(/trust it: open Codex and run \/hooks/);
    expect(existsSync(join(home, '.codex'))).toBe(false);
  });
});

describe('guard init for the other agents', () => {
  it('writes each agent its documented shape', async () => {
    for (const agent of ['gemini', 'codex', 'cursor']) {
      const r = await init('--agent', agent, '--yes');
      expect(r.status, `${r.stdout.toString()}${r.stderr.toString()}`).toBe(0);
    }
    const gemini = JSON.parse(readFileSync(join(home, '.gemini', 'settings.json'), 'utf8')) as Record<string, unknown>;
    expect(gemini).toEqual({
      hooks: {
        BeforeTool: [
          {
            matcher: 'run_shell_command|write_file|replace',
            hooks: [
              expect.objectContaining({
                name: 'guard',
                type: 'command',
                timeout: 30000,
                // Gemini strips GUARD_HOME from hooks in CI: the command names it (decision 0812)
                command: `GUARD_HOME='${inst.home}' '${HOOK_CLIENT}' hook gemini || exit 2`,
              }) as unknown,
            ],
          },
        ],
      },
      tools: { shell: { inactivityTimeout: 1800 } },
    });
    const codex = JSON.parse(readFileSync(join(home, '.codex', 'hooks.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(codex)).toEqual(['hooks']);
    expect(codex).toMatchObject({
      hooks: { PreToolUse: [{ matcher: 'Bash|apply_patch', hooks: [{ type: 'command', timeout: 30 }] }] },
    });
    const cursor = JSON.parse(readFileSync(join(home, '.cursor', 'hooks.json'), 'utf8')) as Record<string, unknown>;
    const cursorEntry = [{ command: expect.stringMatching(/hook cursor \|\| exit 2$/) as unknown }];
    expect(cursor).toEqual({
      version: 1,
      // its file events too (decision 0817)
      hooks: { beforeShellExecution: cursorEntry, beforeReadFile: cursorEntry, afterFileEdit: cursorEntry },
    });
  });

  it('--agent shell writes guard-shell, a one-file drop-in for sh -c', async () => {
    expect((await init('--agent', 'shell')).status).toBe(0);
    const wrapper = join(inst.home, 'bin', 'guard-shell');
    expect(statSync(wrapper).mode & 0o111).not.toBe(0);
    const ok = await collect(spawn(wrapper, ['-c', 'echo "$0 $1"', 'zero', 'one'], { env: inst.env }));
    expect(ok.stdout.toString()).toBe('zero one\n');
    const denied = await collect(spawn(wrapper, ['-c', 'mkfs.ext4 /dev/guard-none'], { env: inst.env }));
    expect(denied.status).toBe(77);
  });
});

describe('the self-test', () => {
  it('fails when the policy does not deny its command (it ran, harmlessly)', async () => {
    const permissive = join(inst.home, '..', 'permissive');
    mkdirSync(permissive);
    writeFileSync(join(permissive, 'p.yaml'), 'version: 1\ndefault: allow\non_unresolved: approve\nrules: []\n');
    inst.env['GUARD_DEFAULT_POLICIES'] = permissive;
    // replacing the shipped pack takes an approver's signature (decision 0121)
    inst.env['GUARD_APPROVER_HOME'] = join(inst.home, '..', 'approver');
    const pass = join(inst.home, '..', 'pass');
    writeFileSync(pass, 'correct horse battery staple\n', { mode: 0o600 });
    const enrolled = await runCli(
      ['approver', 'enroll', '--name', 'ann', '--group', 'ops', '--passphrase-file', pass],
      {
        env: inst.env,
      },
    );
    expect(enrolled.status, enrolled.stderr.toString()).toBe(0);
    const signed = await runCli(
      ['policy', 'sign', join(permissive, 'p.yaml'), '--as', 'ann', '--passphrase-file', pass],
      {
        env: inst.env,
      },
    );
    expect(signed.status, signed.stderr.toString()).toBe(0);
    const r = await init();
    expect(r.status).toBe(70);
    expect(r.stdout.toString()).toMatch(/^fail +self-test +the denied command RAN/m);
  });
});
