/**
 * The commander-free hook parser must accept exactly what commander accepts, with the same
 * meaning, and hand everything else to the full CLI.
 */
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { processIo } from '../../src/cli/io.js';
import { parseHookArgs } from '../../src/cli/fast-hook.js';
import type { Command } from 'commander';

/** What commander makes of `guard hook ARGS`: the agent and the options the hook receives. */
async function viaCommander(args: string[]): Promise<{ agent: string; opts: Record<string, unknown> } | 'error'> {
  const io = { ...processIo(), stdout: devNull(), stderr: devNull() };
  const program = buildProgram(io, { code: 0 });
  const hook = program.commands.find((c) => c.name() === 'hook')!;
  let seen: { agent: string; opts: Record<string, unknown> } | undefined;
  hook.action((agent: string, _opts: unknown, cmd: Command) => {
    seen = { agent, opts: cmd.opts() };
  });
  try {
    await program.parseAsync(['hook', ...args], { from: 'user' });
  } catch {
    return 'error';
  }
  return seen ?? 'error';
}

function devNull(): NodeJS.WritableStream {
  return { write: () => true } as unknown as NodeJS.WritableStream;
}

describe('fast hook parser', () => {
  const accepted: string[][] = [
    ['claude-code'],
    ['gemini', '--allowed', 'record'],
    ['--allowed=pass', 'codex'],
    ['cursor', '--deadline-ms', '500'],
    ['claude-code', '--deadline-ms=30000', '--allowed', 'pass'],
    ['nobody-knows'],
    ['claude-code', '--allowed', 'bogus'],
    ['claude-code', '--deadline-ms', 'soon'],
    ['claude-code', '--allowed', '--deadline-ms'],
    ['claude-code', '--allowed='],
  ];
  for (const args of accepted) {
    it(`agrees with commander on ${JSON.stringify(args)}`, async () => {
      const fast = parseHookArgs(args);
      const slow = await viaCommander(args);
      expect(slow).not.toBe('error');
      expect(fast).toBeDefined();
      if (slow === 'error' || fast === undefined) return;
      expect(fast.agent).toEqual(slow.agent);
      expect(fast.opts).toEqual(slow.opts);
    });
  }

  const declined: string[][] = [
    [],
    ['--help'],
    ['-h'],
    ['claude-code', '--help'],
    ['claude-code', 'gemini'],
    ['claude-code', '--bogus'],
    ['claude-code', '--allowed'],
    ['--', 'claude-code'],
    ['-', 'claude-code'],
    ['claude-code', '-x'],
  ];
  for (const args of declined) {
    it(`leaves ${JSON.stringify(args)} to the full CLI`, () => {
      expect(parseHookArgs(args)).toBeUndefined();
    });
  }
});
