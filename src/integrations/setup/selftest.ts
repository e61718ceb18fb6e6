/**
 * The self-test `guard init` ends with: run, through the real `guard exec` (daemon, policy,
 * ledger), a shell line that the shipped policy denies and that would drop a marker file if it
 * ran. It passes only when guard exits 77 and the marker does not exist. The denied program
 * (`mkfs.guard-self-test`) does not exist, so even a policy that let it through would harm nothing.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../errors.js';
import type { Check } from './check.js';

export const SELF_TEST_LINE = 'mkfs.guard-self-test /dev/null 2>/dev/null; : > "$0"';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: `${stderr}${err.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `guard` is the command that starts this guard (its absolute path, maybe after node). */
export async function selfTest(guard: string[], env: NodeJS.ProcessEnv): Promise<Check> {
  const dir = mkdtempSync(join(tmpdir(), 'guard-self-test-'));
  const marker = join(dir, 'ran');
  try {
    const [file, ...pre] = guard;
    const args = [
      ...pre,
      'exec',
      '--no-wait',
      '--reason',
      'guard init self-test',
      '--',
      '/bin/sh',
      '-c',
      SELF_TEST_LINE,
      marker,
    ];
    const r = await run(file!, args, { ...env, GUARD_AGENT: 'guard-self-test' }, dir, 30_000);
    const ran = existsSync(marker);
    if (r.code === ExitCode.DENIED && !ran)
      return {
        name: 'self-test',
        status: 'ok',
        detail: 'a command the policy denies was refused (exit 77) and did not run',
      };
    const why = ran
      ? 'the denied command RAN'
      : r.code === ExitCode.PENDING
        ? `the self-test command was held for approval instead of denied (request ${r.stdout.trim()})`
        : `guard exec exited ${String(r.code)}: ${r.stderr.trim().split('\n')[0] ?? ''}`;
    return {
      name: 'self-test',
      status: 'fail',
      detail: why,
      hint: 'check `guard check --shell "mkfs.x /dev/null"` (the shipped rule fs.mkfs must deny it) and `guard doctor`',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
