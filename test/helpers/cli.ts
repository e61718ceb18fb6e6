/**
 * Drive the built CLI (bin/guard.js → dist/) as a real child process, with an isolated GUARD_HOME.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'guard.js');
export const FIXTURES = join(ROOT, 'test', 'fixtures');
/** The native exec client, built by `npm run build` when a Rust toolchain is present. */
export const NATIVE_BIN = join(ROOT, 'dist', 'guard-native');
export const NATIVE_BUILT = existsSync(NATIVE_BIN);

/** Which `guard exec` client a test drives: the Node CLI, or the native client in front of it. */
export type ExecClient = 'node' | 'native';
export const EXEC_CLIENTS: readonly ExecClient[] = ['node', 'native'];
/** Title for a suite run against `client`; says so when the native client could not be built. */
export const clientTitle = (client: ExecClient): string =>
  client === 'native' && !NATIVE_BUILT ? 'native client (SKIPPED: not built, no Rust toolchain)' : `${client} client`;
export const skipClient = (client: ExecClient): boolean => client === 'native' && !NATIVE_BUILT;

/** The program and leading arguments that start guard with the given exec client. */
export function guardCommand(client: ExecClient = 'node'): [string, string[]] {
  return client === 'native' ? [NATIVE_BIN, []] : [process.execPath, [BIN]];
}

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
}

export interface TempHome {
  home: string;
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

/** A fresh GUARD_HOME; cleanup stops any daemon started in it and removes it. */
export function tempHome(extraEnv: NodeJS.ProcessEnv = {}): TempHome {
  const home = mkdtempSync(join(tmpdir(), 'guard-test-'));
  const env: NodeJS.ProcessEnv = { ...process.env, GUARD_HOME: home, ...extraEnv };
  delete env['GUARD_AGENT'];
  return {
    home,
    env,
    cleanup() {
      if (existsSync(join(home, 'run'))) {
        spawnSync(process.execPath, [BIN, 'daemon', 'stop'], { env, stdio: 'ignore', timeout: 20_000 });
        killLockHolder(join(home, 'run', 'daemon.pid'));
      }
      rmSync(home, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}

/** A daemon that did not stop in time (a loaded machine) must not outlive its test. */
function killLockHolder(lock: string): void {
  let pid: number;
  try {
    pid = Number(readFileSync(lock, 'utf8').trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 1) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Run the built CLI to completion. */
export function runCli(
  args: string[],
  opts: { env: NodeJS.ProcessEnv; input?: Buffer | string; cwd?: string; timeoutMs?: number; client?: ExecClient },
): Promise<CliResult> {
  const [file, lead] = guardCommand(opts.client);
  return collect(spawn(file, [...lead, ...args], { env: opts.env, cwd: opts.cwd ?? ROOT }), opts.input, opts.timeoutMs);
}

/**
 * Run a bash script line that itself invokes guard (for argv bytes Node cannot pass) as
 * `"$GUARD_NODE" "$GUARD_BIN" …`; with the native client that is `env <native binary> …`.
 */
export function runBash(
  script: string,
  opts: { env: NodeJS.ProcessEnv; input?: Buffer | string; client?: ExecClient },
): Promise<CliResult> {
  const client = opts.client ?? (process.env['GUARD_TEST_EXEC_CLIENT'] === 'native' ? 'native' : 'node');
  const [node, bin] = client === 'native' ? ['/usr/bin/env', NATIVE_BIN] : [process.execPath, BIN];
  return collect(
    spawn('/bin/bash', ['-c', script], {
      env: { ...opts.env, GUARD_NODE: node, GUARD_BIN: bin },
      cwd: ROOT,
    }),
    opts.input,
  );
}

export function collect(child: ChildProcess, input?: Buffer | string, timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      // what the process had said by then: the only clue to where it stopped
      const said = (b: Buffer[]): string => JSON.stringify(Buffer.concat(b).toString('utf8').slice(-2000));
      reject(new Error(`timed out after ${timeoutMs} ms; stderr so far: ${said(err)}; stdout so far: ${said(out)}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolvePromise({ status, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
    });
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

/**
 * Run `cmd args` with a reader that goes away after the first bytes (`| head -1`): its exit status
 * and everything it said on stderr.
 */
export async function withClosedReader(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
  return { code, stderr };
}
