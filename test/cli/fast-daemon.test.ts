/**
 * The commander-free `guard daemon start --foreground` parser (decision 0041) must accept exactly
 * what commander accepts there, with the same meaning, and hand everything else to the full CLI.
 */
import { describe, expect, it } from 'vitest';
import { parseForegroundArgs } from '../../src/cli/fast-daemon.js';
import { strip, viaCommander } from './commander-oracle.js';

describe('fast daemon start parser (decision 0041)', () => {
  const accepted: string[][] = [
    ['start', '--foreground'],
    ['start', '--foreground', '--policy', '/p/a.yaml'],
    ['start', '--policy', 'a.yaml', '--foreground', '--policy=b.yaml'],
    ['start', '--foreground', '--socket-mode', '660'],
    ['start', '--socket-mode=600', '--foreground'],
    ['start', '--foreground', '--socket-mode', '777'],
    ['start', '--foreground', '--policy', '--foreground'],
    ['start', '--foreground', '--foreground'],
    ['start', '--foreground', '--policy='],
  ];
  for (const args of accepted) {
    it(`agrees with commander on ${JSON.stringify(args)}`, async () => {
      const fast = parseForegroundArgs(args);
      const slow = await viaCommander(['daemon', 'start'], args.slice(1));
      expect(slow).not.toBe('error');
      expect(fast).toBeDefined();
      if (slow === 'error' || fast === undefined) return;
      expect(slow.positionals).toEqual([]);
      expect(strip(fast)).toEqual(strip(slow.opts));
    });
  }

  const declined: string[][] = [
    [],
    ['start'],
    ['stop'],
    ['status', '--foreground'],
    ['start', '--foreground', '--help'],
    ['start', '--foreground', '-h'],
    ['start', '--foreground', '--json-errors'],
    ['start', '--foreground', '--bogus'],
    ['start', '--foreground', '--policy'],
    ['start', '--foreground', '--socket-mode'],
    ['start', '--foreground', 'extra'],
    ['start', '--foreground=yes'],
    ['--foreground', 'start'],
  ];
  for (const args of declined) {
    it(`leaves ${JSON.stringify(args)} to the full CLI`, () => {
      expect(parseForegroundArgs(args)).toBeUndefined();
    });
  }
});
