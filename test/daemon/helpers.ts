/**
 * Daemon test rig: an isolated GUARD_HOME (short path for the socket), a per-test policy passed to
 * real daemon processes with `--policy`, approvers enrolled with the real CLI, and the built CLI
 * run as real child processes. Every daemon started here is killed by `stopAll`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AGENT_ENV_VARS } from '../../src/approval/agent-env.js';
import { NATIVE_BIN } from '../helpers/cli.js';
import { DaemonClient } from '../../src/daemon/client.js';
import { ask } from '../../src/daemon/replies.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
/** GUARD_TEST_BIN lets a developer point the tests at a private build; the default is the real CLI. */
export const BIN = process.env['GUARD_TEST_BIN'] ?? join(ROOT, 'bin', 'guard.js');
export const MARK = join(ROOT, 'test', 'daemon', 'fixtures', 'mark');

export const TEST_POLICY = `version: 1
default: allow
on_unresolved: approve
rules:
  - id: t.deny
    description: Test rule that denies
    effect: deny
    risk: high
    match: { program: mark, any_arg: [deny-me] }
  - id: t.approve
    description: Test rule that needs one approval
    effect: approve
    risk: high
    match: { program: mark, any_arg: [approve-me] }
    impact: 'marks a file: {args}'
    approval: { timeout: 10m }
  - id: t.expire
    description: Test rule with a short decision timeout
    effect: approve
    match: { program: mark, any_arg: [expire-me] }
    approval: { timeout: 2s }
  - id: t.quorum
    description: Test rule that needs two ops approvers
    effect: approve
    match: { program: mark, any_arg: [quorum-me] }
    approval: { quorum: 2, groups: [ops] }
  - id: t.twice
    description: Test rule whose grant has two uses
    effect: approve
    match: { program: mark, any_arg: [twice-me] }
    approval: { uses: 2 }
`;

export interface LedgerRow {
  seq: number;
  type: string;
  payload: Record<string, unknown>;
}

export const hasExecEnds =
  (n: number) =>
  (recs: LedgerRow[]): boolean =>
    recs.filter((r) => r.type === 'exec_end').length >= n;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class Rig {
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
  readonly policy: string;
  readonly marker: string;
  private readonly daemons = new Set<ChildProcess>();
  private readonly children = new Set<ChildProcess>();
  /**
   * The client that runs `guard exec`: the Node CLI, or with GUARD_TEST_EXEC_CLIENT=native the
   * native client (test/e2e/fail-closed-native.test.ts runs the fail-closed suite that way).
   */
  readonly execClient: 'node' | 'native' = process.env['GUARD_TEST_EXEC_CLIENT'] === 'native' ? 'native' : 'node';

  constructor(policy = TEST_POLICY, extraEnv: NodeJS.ProcessEnv = {}) {
    this.home = mkdtempSync('/tmp/gd-');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GUARD_HOME: join(this.home, 'h'),
      GUARD_APPROVER_HOME: join(this.home, 'keys'),
      GUARD_KEYSTORE: 'file',
      GUARD_NO_AUTOSTART: '1',
      ...extraEnv,
    };
    for (const k of AGENT_ENV_VARS) delete env[k];
    delete env['GUARD_APPROVER'];
    this.env = env;
    this.policy = join(this.home, 'policy.yaml');
    writeFileSync(this.policy, policy);
    this.marker = join(this.home, 'marker');
  }

  /** Lines the marker file holds (one per run of `mark`). */
  marks(): string[] {
    return existsSync(this.marker) ? readFileSync(this.marker, 'utf8').trim().split('\n').filter(Boolean) : [];
  }

  /**
   * Start a foreground daemon process and wait until it listens. `layers`: no `--policy`, so the
   * daemon reads the policy layers (shipped, system, user, project) as in real use.
   */
  async startDaemon(extraArgs: string[] = [], opts: { layers?: boolean } = {}): Promise<ChildProcess> {
    const policy = opts.layers === true ? [] : ['--policy', this.policy];
    const child = spawn(process.execPath, [BIN, 'daemon', 'start', '--foreground', ...policy, ...extraArgs], {
      env: { ...this.env, GUARD_DAEMON_READY_FD: '3' },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    this.daemons.add(child);
    child.on('exit', () => this.daemons.delete(child));
    let log = '';
    child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    await new Promise<void>((res, rej) => {
      const fd3 = child.stdio[3] as NodeJS.ReadableStream;
      fd3.on('data', (c: Buffer) => {
        if (c.toString().includes('ready')) res();
      });
      // no wall-clock bound of its own: a slow start on a loaded machine is not a failure (the test
      // timeout still ends a daemon that never gets ready)
      child.on('exit', (code) => rej(new Error(`daemon exited ${code}: ${log}`)));
    });
    return child;
  }

  /** Run the CLI to completion. */
  guard(
    args: string[],
    opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
  ): Promise<Run> {
    return this.spawnGuard(args, opts).done;
  }

  /** Start the CLI; `done` resolves when it exits; `waitFor` resolves when stderr matches. */
  spawnGuard(args: string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
    const native = this.execClient === 'native' && args[0] === 'exec';
    const child = spawn(native ? NATIVE_BIN : process.execPath, native ? args : [BIN, ...args], {
      env: opts.env ?? this.env,
      cwd: opts.cwd ?? this.home,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.children.add(child);
    let stdout = '';
    let stderr = '';
    const listeners: (() => void)[] = [];
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      for (const l of listeners) l();
    });
    child.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 45_000);
    const done = new Promise<Run>((res) =>
      child.on('close', (code) => {
        clearTimeout(timer);
        this.children.delete(child);
        res({ code, stdout, stderr });
      }),
    );
    const waitFor = (re: RegExp, ms = 20_000): Promise<RegExpMatchArray> =>
      new Promise((res, rej) => {
        const check = (): boolean => {
          const m = stderr.match(re);
          if (m) res(m);
          return m !== null;
        };
        if (check()) return;
        listeners.push(check);
        setTimeout(() => rej(new Error(`no ${re} in stderr within ${ms} ms: ${stderr}`)), ms);
      });
    return { child, done, waitFor, output: () => ({ stdout, stderr }) };
  }

  /** `guard exec` of the marker program; label picks the test rule. */
  exec(label: string, flags: string[] = []) {
    return this.spawnGuard(['exec', ...flags, '--', MARK, this.marker, label]);
  }

  passFile(name: string): string {
    return join(this.home, `pass-${name}`);
  }

  /** Enroll an approver with the real CLI (the first bootstraps; later ones are endorsed by `endorser`). */
  async enroll(name: string, groups: string[], endorser?: string, extra: string[] = []): Promise<void> {
    writeFileSync(this.passFile(name), `correct horse ${name} battery staple\n`, { mode: 0o600 });
    const args = [
      'approver',
      'enroll',
      '--name',
      name,
      ...groups.flatMap((g) => ['--group', g]),
      '--os-user',
      `${name}-os`,
      '--passphrase-file',
      this.passFile(name),
    ];
    if (endorser !== undefined)
      args.push('--endorse-by', endorser, '--endorser-passphrase-file', this.passFile(endorser));
    args.push(...extra);
    const r = await this.guard(args);
    if (r.code !== 0) throw new Error(`enroll ${name} failed (${r.code}): ${r.stderr}`);
  }

  approve(id: string, as: string, extra: string[] = []): Promise<Run> {
    return this.guard(['approve', id, '--as', as, '--passphrase-file', this.passFile(as), ...extra]);
  }

  /**
   * The ledger as the daemon reads it back. `until` polls (bounded) for records written after the
   * client already exited (exec_end is reported without waiting for its commit).
   */
  async ledger(until: (recs: LedgerRow[]) => boolean = () => true): Promise<LedgerRow[]> {
    const { DaemonClient } = await import('../../src/daemon/client.js');
    const deadline = Date.now() + 5000;
    for (;;) {
      const c = await DaemonClient.connect(join(this.env['GUARD_HOME']!, 'run', 'guard.sock'));
      const records: LedgerRow[] = [];
      for (;;) {
        const since = records[records.length - 1]?.seq ?? 0;
        const page = await ask(c, {
          type: 'history',
          sinceSeq: since,
          limit: 10_000,
        });
        records.push(...(page.records as LedgerRow[]));
        if (!page.more || page.records.length === 0) break;
      }
      c.close();
      if (until(records) || Date.now() > deadline) return records;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stopAll(): Promise<void> {
    for (const c of this.children) c.kill('SIGKILL');
    await Promise.all(
      [...this.daemons].map(
        (d) =>
          new Promise<void>((res) => {
            if (d.exitCode !== null || d.signalCode !== null) return res();
            const t = setTimeout(() => d.kill('SIGKILL'), 5000);
            d.on('exit', () => {
              clearTimeout(t);
              res();
            });
            d.kill('SIGTERM');
          }),
      ),
    );
  }

  async cleanup(): Promise<void> {
    await this.stopAll();
    // a guard process still exiting (a TUI in tmux) may be writing its compile cache under the home
    rmSync(this.home, { recursive: true, force: true, maxRetries: 10 });
  }
}

export function mkdirp(p: string): string {
  mkdirSync(p, { recursive: true });
  return p;
}

/**
 * Store `n` copies of a stored request (same creation time, fresh ids ending in a counter) while the
 * daemon is down: raising thousands one by one takes minutes on a loaded machine.
 */
export function copyRequest(rig: Pick<Rig, 'env'>, template: string, n: number): void {
  const db = new Database(join(rig.env['GUARD_HOME']!, 'state.db'));
  const row = db.prepare('SELECT * FROM requests WHERE id = ?').get(template) as Record<string, string>;
  const insert = db.prepare(
    'INSERT INTO requests (id, state, fingerprint, created_at, expires_at, data) VALUES (?, ?, ?, ?, ?, ?)',
  );
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const data = JSON.parse(row['data']!) as { id: string; view: { id: string } };
      const id = `${template.slice(0, -6)}${String(i).padStart(6, '0')}`;
      data.id = id;
      data.view.id = id;
      insert.run(id, row['state'], row['fingerprint'], row['created_at'], row['expires_at'], JSON.stringify(data));
    }
  })();
  db.close();
}

/** Raise one held request (rule t.approve) over the socket, as `guard exec --no-wait` would. */
export async function raiseHeld(rig: Rig, words: string[]): Promise<string> {
  const c = await DaemonClient.connect(join(rig.env['GUARD_HOME']!, 'run', 'guard.sock'));
  try {
    const o = await ask(c, {
      type: 'exec',
      argv: [MARK, '/dev/null', 'approve-me', ...words],
      cwd: rig.home,
      context: { requester: { user: 'agent', agent: 'test' } },
      noWait: true,
    });
    if (!('requestId' in o)) throw new Error(`not held: ${JSON.stringify(o)}`);
    return o.requestId;
  } finally {
    c.close();
  }
}
