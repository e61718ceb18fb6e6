/**
 * The commander-free hook parser must accept exactly what commander accepts, with the same
 * meaning, and hand everything else to the full CLI.
 */
import { describe, expect, it } from 'vitest';
import { parseHookArgs } from '../../src/cli/fast-hook.js';
import { viaCommander } from './commander-oracle.js';

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
      const slow = await viaCommander(['hook'], args);
      expect(slow).not.toBe('error');
      expect(fast).toBeDefined();
      if (slow === 'error' || fast === undefined) return;
      expect(fast.agent).toEqual(slow.positionals[0]);
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
