/** Quoting of rewritten commands (property-checked against a real shell) and the settings merge. */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { agentConfig } from '../../src/integrations/config/agents.js';
import {
  findGuardCommands,
  hasCurrentHook,
  isGuardHookCommand,
  mergeHook,
} from '../../src/integrations/config/merge.js';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execCommandLine, execRewriteLine, shQuote } from '../../src/integrations/rewrite.js';

describe('shQuote', () => {
  it('any string (no NUL) survives a trip through /bin/sh as one word', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 60 }).filter((s) => !s.includes('\0')),
        (s) => {
          const r = spawnSync('/bin/sh', ['-c', `printf '%s' ${shQuote(s)}`], { encoding: 'utf8' });
          expect(r.stdout).toBe(s);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('builds the exec line with every interpolated word quoted', () => {
    expect(
      execCommandLine({ guard: ["/opt/it's/guard"], command: "echo 'x'", agent: 'claude-code', reason: 'a "b"' }),
    ).toBe(`GUARD_AGENT='claude-code' '/opt/it'\\''s/guard' exec --reason 'a "b"' -- bash -c 'echo '\\''x'\\'''`);
  });
});

describe('execRewriteLine (the command in a here-document)', () => {
  // a stand-in for guard that prints the command it was given (the last argument) and its GUARD_HOME
  const dir = mkdtempSync(join(tmpdir(), 'guard-rewrite-'));
  const fake = join(dir, 'guard');
  writeFileSync(fake, '#!/bin/bash\nprintf \'%s|%s\' "$GUARD_HOME" "${!#}"\n');
  chmodSync(fake, 0o755);
  const line = (command: string): string =>
    execRewriteLine({ guard: [fake], command, agent: 'gemini', reason: "it's", pin: { GUARD_HOME: "/h/it's" } });
  const viaShell = (l: string) => spawnSync('/bin/bash', ['-c', l], { encoding: 'utf8' });

  it('hands guard exec any command (no NUL) byte for byte, with the pinned home', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 80 }).filter((s) => !s.includes('\0') && s !== ''),
        (command) => {
          expect(viaShell(line(command)).stdout).toBe(`/h/it's|${command}`);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a command that holds the delimiter line gets another one', () => {
    const probe = line('x');
    const tag = /3<<'(GUARD_CMD_[0-9a-f]+)'/.exec(probe)![1]!;
    const tricky = `echo a\n${tag}\necho b`;
    expect(viaShell(line(tricky)).stdout).toBe(`/h/it's|${tricky}`);
  });

  it('grows by a constant, so a 24 kB command full of quotes still runs where the quoted form hit E2BIG', () => {
    const command = `printf '%s' ${"'a' ".repeat(6000)}> /dev/null`;
    const rewrite = line(command);
    expect(rewrite.length - command.length).toBeLessThan(400);
    // the agent's shell quotes the line once more (as it would the command itself)
    const client = (l: string) => spawnSync('/bin/bash', ['-c', `eval ${shQuote(l)}`], { encoding: 'utf8' });
    expect(client(rewrite).stdout).toBe(`/h/it's|${command}`);
    const quoted = execCommandLine({ guard: [fake], command, agent: 'gemini', reason: 'r' });
    const old = client(quoted);
    expect(old.error?.message ?? old.stderr).toMatch(/E2BIG|too long/);
  });
});

describe('merging the hook into settings', () => {
  const env = { HOME: '/home/u' };
  const c = agentConfig('claude-code', ['/new/bin/guard'], env);

  it('replaces an older guard entry (another path) and keeps the other hooks of its group', () => {
    const settings = {
      hooks: {
        PreToolUse: [
          {
            matcher: 'Bash',
            hooks: [
              { type: 'command', command: 'audit.sh' },
              { type: 'command', command: "'/old/bin/guard' hook claude-code || exit 2" },
            ],
          },
        ],
        Stop: [{ hooks: [{ type: 'command', command: 'bye.sh' }] }],
      },
      env: { X: '1' },
    };
    const merged = mergeHook(settings, c);
    expect(merged).toEqual({
      hooks: {
        PreToolUse: [
          { matcher: 'Bash', hooks: [{ type: 'command', command: 'audit.sh' }] },
          {
            matcher: 'Bash|Write|Edit|MultiEdit|NotebookEdit',
            hooks: [{ type: 'command', command: "'/new/bin/guard' hook claude-code || exit 2", timeout: 30 }],
          },
        ],
        Stop: [{ hooks: [{ type: 'command', command: 'bye.sh' }] }],
      },
      env: { X: '1' },
    });
    expect(settings.hooks.PreToolUse[0]!.hooks).toHaveLength(2); // input untouched
    expect(hasCurrentHook(merged, c)).toBe(true);
    expect(hasCurrentHook(settings, c)).toBe(false);
    expect(findGuardCommands(merged, c)).toEqual(["'/new/bin/guard' hook claude-code || exit 2"]);
  });

  it('recognises only guard hook commands for that agent', () => {
    expect(isGuardHookCommand("'/a/guard.js' hook codex || exit 2", 'codex')).toBe(true);
    expect(isGuardHookCommand("'/a/dist/guard-native' hook codex || exit 2", 'codex')).toBe(true);
    expect(isGuardHookCommand("'/a/dist/myguard-native' hook codex || exit 2", 'codex')).toBe(false);
    expect(isGuardHookCommand('guard hook codex', 'codex')).toBe(true);
    expect(isGuardHookCommand('guard hook codex-ng', 'codex')).toBe(false);
    expect(isGuardHookCommand('/a/guard hook claude-code', 'codex')).toBe(false);
    expect(isGuardHookCommand('myguard hook codex', 'codex')).toBe(false);
  });

  it('refuses settings whose hooks are not the documented shape', () => {
    expect(() => mergeHook({ hooks: [] }, c)).toThrow(/"hooks" .* is not an object/);
    expect(() => mergeHook({ hooks: { PreToolUse: {} } }, c)).toThrow(/is not a list/);
  });

  it('keeps Cursor entries flat, with version 1', () => {
    const cursor = agentConfig('cursor', ['/g/guard'], env);
    const merged = mergeHook(
      { hooks: { beforeShellExecution: [{ command: 'other.sh' }, { command: '/old/guard hook cursor' }] } },
      cursor,
    );
    const hook = { command: "'/g/guard' hook cursor || exit 2" };
    // shell commands, file reads and (reported) file edits all go to guard (decision 0817)
    expect(merged).toEqual({
      version: 1,
      hooks: {
        beforeShellExecution: [{ command: 'other.sh' }, hook],
        beforeReadFile: [hook],
        afterFileEdit: [hook],
      },
    });
  });
});
