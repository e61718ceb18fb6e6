/**
 * CLI conventions with the built CLI: help for `guard shell`, `guard version`, the exit-code list
 * in the help, and reads that never start a daemon.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, tempHome, type TempHome } from '../helpers/cli.js';

let h: TempHome | undefined;
afterEach(() => {
  h?.cleanup();
  h = undefined;
});

describe('CLI conventions', () => {
  it('`guard shell --help` prints its help and exits 0', async () => {
    h = tempHome();
    const r = await runCli(['shell', '--help'], { env: h.env });
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stdout.toString()).toMatch(/Usage: guard shell -c 'command'/);
    expect(r.stdout.toString()).toMatch(/Examples:/);
  });

  it('`guard version` prints the version; --json adds the build and Node version', async () => {
    h = tempHome();
    const plain = await runCli(['version'], { env: h.env });
    expect(plain.status).toBe(0);
    expect(plain.stdout.toString()).toMatch(/^\d+\.\d+\.\d+\n$/);
    const json = JSON.parse((await runCli(['version', '--json'], { env: h.env })).stdout.toString()) as Record<
      string,
      unknown
    >;
    expect(json).toMatchObject({ version: plain.stdout.toString().trim(), node: process.version });
    expect(json['build']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('marks required options as required in the help', async () => {
    h = tempHome();
    const deny = await runCli(['deny', '--help'], { env: h.env });
    expect(deny.stdout.toString()).toMatch(/--reason <text>\s+why it is denied \(required\)/);
    const ask = await runCli(['ask', '--help'], { env: h.env });
    expect(ask.stdout.toString()).toMatch(/--question <text>\s+the question \(required\)/);
  });

  it('lists `exit-codes` among the commands', async () => {
    h = tempHome();
    const help = await runCli(['--help'], { env: h.env });
    expect(help.stdout.toString()).toMatch(/^ {2}exit-codes\s+list the exit codes guard uses$/m);
    const r = await runCli(['exit-codes'], { env: h.env });
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toMatch(/77 +denied by policy/);
  });

  it('`guard requests` and `guard show` (reads) never start a daemon', async () => {
    h = tempHome();
    delete h.env['GUARD_NO_AUTOSTART'];
    for (const args of [['requests'], ['show', 'rq-0123456789ab']]) {
      const r = await runCli(args, { env: h.env });
      expect(r.status).toBe(70);
      expect(r.stderr.toString()).toMatch(/no daemon is running/);
    }
    expect(existsSync(join(h.home, 'run', 'daemon.pid'))).toBe(false);
    expect(existsSync(join(h.home, 'daemon.log'))).toBe(false);
  });
});
