/**
 * The commander-free exec parser must accept exactly what commander accepts, with the same
 * meaning, and hand everything else to the full CLI.
 */
import { describe, expect, it } from 'vitest';
import { parseExecArgs } from '../../src/cli/fast-exec.js';
import { strip, viaCommander } from './commander-oracle.js';

describe('fast exec parser', () => {
  const accepted: string[][] = [
    ['--', 'true'],
    ['true'],
    ['ls', '-la', '--', 'x'],
    ['--reason', 'rotate key', '--', 'aws', 'iam', 'list-users'],
    ['--reason=why', '--ticket', 'SEC-1', '--', 'x'],
    ['--timeout', '90s', '--no-wait', '--', 'terraform', 'destroy'],
    ['--json-errors', '--', 'rm', '-rf', '/tmp/x'],
    ['--reason', '--weird', '--', 'x'],
    ['--ticket=', '--', 'x'],
    ['--', '--', 'x'],
    ['--', '-rf'],
    ['-', 'x'],
    ['--no-wait', 'kubectl', '--context', 'prod', 'delete', 'ns', 'x'],
  ];
  for (const args of accepted) {
    it(`agrees with commander on ${JSON.stringify(args)}`, async () => {
      const fast = parseExecArgs(args);
      const slow = await viaCommander(['exec'], args);
      expect(slow).not.toBe('error');
      expect(fast).toBeDefined();
      if (slow === 'error' || fast === undefined) return;
      expect(fast.command).toEqual(slow.positionals[0]);
      expect(strip(fast.opts)).toEqual(strip(slow.opts));
    });
  }

  const declined: string[][] = [
    [],
    ['--'],
    ['--help'],
    ['-h'],
    ['--bogus', '--', 'x'],
    ['--reason'],
    ['--reason', 'x'],
    ['-x', 'y'],
    ['--no-wait'],
  ];
  for (const args of declined) {
    it(`leaves ${JSON.stringify(args)} to the full CLI`, () => {
      expect(parseExecArgs(args)).toBeUndefined();
    });
  }
});
