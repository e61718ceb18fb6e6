/**
 * `guard shell` against real `/bin/sh -c` on a table of scripts (exit codes, quoting, $0 $1,
 * stdin/stdout/stderr, options), through the built CLI and a real daemon; and every command of a
 * compound script is judged: a denied one refuses the whole script, and a marker proves nothing ran.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseShellArgs } from '../../src/integrations/shell-args.js';
import { BIN, collect, runCli } from '../helpers/cli.js';
import { install, startDaemon, type Install } from './helpers.js';

let inst: Install;
let stop: () => Promise<void>;
beforeAll(async () => {
  inst = install();
  stop = await startDaemon(inst.env);
});
afterAll(async () => {
  await stop();
  inst.cleanup();
});

function sh(args: string[], input?: string) {
  return collect(spawn('/bin/sh', args, { env: inst.env, cwd: inst.work }), input);
}
function guardShell(args: string[], input?: string) {
  return collect(spawn(process.execPath, [BIN, 'shell', ...args], { env: inst.env, cwd: inst.work }), input);
}

const TABLE: { name: string; args: string[]; input?: string }[] = [
  { name: 'exit 0', args: ['-c', 'true'] },
  { name: 'exit 1', args: ['-c', 'false'] },
  { name: 'exit 3', args: ['-c', 'exit 3'] },
  { name: 'exit 255', args: ['-c', 'exit 255'] },
  { name: 'command not found', args: ['-c', 'no-such-command-xyz 2>/dev/null'] },
  { name: '$0 and $1..', args: ['-c', 'printf "[%s]" "$0" "$@"', 'name', 'a b', "it's", '"q"', ''] },
  { name: 'quoting', args: ['-c', `printf '%s\\n' "double \\"q\\"" 'single' \\$HOME "$((2*21))"`] },
  { name: 'stdin to stdout', args: ['-c', 'tr a-z A-Z'], input: 'hello\nworld\n' },
  { name: 'stderr', args: ['-c', 'echo out; echo err >&2; exit 4'] },
  { name: '-lc', args: ['-lc', 'echo login $0', 'zero'] },
  { name: '-ec stops at the first failure', args: ['-ec', 'echo one; false; echo two'] },
  { name: '-e -c', args: ['-e', '-c', 'false; echo never'] },
  { name: 'killed by a signal', args: ['-c', 'kill -TERM $$'] },
  { name: 'compound allowed', args: ['-c', 'for i in 1 2 3; do echo $i; done | sort -r && echo done'] },
];

describe('guard shell behaves like /bin/sh -c', () => {
  it.each(TABLE)('$name', async ({ args, input }) => {
    const want = await sh(args, input);
    const got = await guardShell(args, input);
    expect(got.stdout.toString()).toBe(want.stdout.toString());
    expect(got.stderr.toString()).toBe(want.stderr.toString());
    expect(got.status).toBe(want.status ?? 128 + 15);
  });
});

describe('guard shell judges every command', () => {
  it('refuses a script with a denied command anywhere in it, and nothing runs', async () => {
    const a = join(inst.work, 'before');
    const b = join(inst.work, 'after');
    const r = await guardShell(['-c', `touch ${a}; echo x | (shred -u victim.txt); touch ${b}`]);
    expect(r.status).toBe(77);
    expect(r.stderr.toString()).toMatch(/^guard: .*denied/m);
    expect(existsSync(a)).toBe(false);
    expect(existsSync(b)).toBe(false);
  });

  it('refuses to start an interactive shell', async () => {
    for (const args of [[], ['-i'], ['-s'], ['script.sh']]) {
      const r = await guardShell(args);
      expect(r.status).toBe(64);
      expect(r.stderr.toString()).toMatch(/guard shell/);
    }
  });

  it('parses sh option words like sh does', () => {
    expect(parseShellArgs(['-lc', 'x', 'n', 'a'])).toEqual({ options: ['-lc'], script: 'x', operands: ['n', 'a'] });
    expect(parseShellArgs(['-e', '-o', 'noglob', '-c', 'x'])).toEqual({
      options: ['-e', '-o', 'noglob', '-c'],
      script: 'x',
      operands: [],
    });
    expect(() => parseShellArgs(['-c'])).toThrow(/needs a command string/);
    expect(() => parseShellArgs(['-ic', 'x'])).toThrow(/does not take -ic/);
  });
});

describe('guard shell and the ledger', () => {
  it('records the script as argv /bin/sh -c …', async () => {
    await guardShell(['-c', 'echo ledger-shell-probe']);
    const shown = await runCli(['ledger', 'show', '--json', '--type', 'request'], { env: inst.env });
    expect(shown.stdout.toString()).toContain('ledger-shell-probe');
  });
});
