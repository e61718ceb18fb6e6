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
import { execCommandLine, shQuote } from '../../src/integrations/rewrite.js';

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
    expect(merged).toEqual({
      version: 1,
      hooks: { beforeShellExecution: [{ command: 'other.sh' }, { command: "'/g/guard' hook cursor || exit 2" }] },
    });
  });
});
