/**
 * The commander-free exec parser must accept exactly what commander accepts, with the same
 * meaning, and hand everything else to the full CLI.
 */
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { processIo } from '../../src/cli/io.js';
import { parseExecArgs } from '../../src/cli/fast-exec.js';
import type { Command } from 'commander';

/** What commander makes of `guard exec ARGS`: the command and the options exec receives. */
async function viaCommander(args: string[]): Promise<{ command: string[]; opts: Record<string, unknown> } | 'error'> {
  const io = { ...processIo(), stdout: devNull(), stderr: devNull() };
  const program = buildProgram(io, { code: 0 });
  const exec = program.commands.find((c) => c.name() === 'exec')!;
  let seen: { command: string[]; opts: Record<string, unknown> } | undefined;
  exec.action((command: string[], _opts: unknown, cmd: Command) => {
    seen = { command, opts: cmd.opts() };
  });
  try {
    await program.parseAsync(['exec', ...args], { from: 'user' });
  } catch {
    return 'error';
  }
  return seen ?? 'error';
}

function devNull(): NodeJS.WritableStream {
  return { write: () => true } as unknown as NodeJS.WritableStream;
}

const strip = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

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
      const slow = await viaCommander(args);
      expect(slow).not.toBe('error');
      expect(fast).toBeDefined();
      if (slow === 'error' || fast === undefined) return;
      expect(fast.command).toEqual(slow.command);
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
