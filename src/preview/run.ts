/**
 * Running a planned preview: a read-only tool run (terraform plan, git log, kubectl diff), a row
 * count in a read-only transaction, or a walk of a directory tree. Every run has a deadline; what
 * a run prints is capped. Nothing here decides anything: a failing run is reported as such.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, opendir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type pg from 'pg';
import type { PreviewPlan } from './detect.js';
import { savedPlanText } from './saved-plan.js';

export type PreviewStatus = 'ok' | 'failed' | 'timeout' | 'skipped';

export interface PreviewRun {
  status: PreviewStatus;
  /** What the preview found, or why it failed (not yet redacted). */
  text: string;
}

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Keep terraform's plan here, to be applied exactly on approval (decision 1086), run as these words. */
  keepPlan?: { path: string; words: string[] } | undefined;
  /**
   * Enforced mode (decision 1110): write terraform's plan into this file, which the daemon made and
   * owns, and leave it there with no digest line: the daemon reads, hashes and keeps it itself.
   */
  planOut?: string | undefined;
  /**
   * Run by the runner with the executor's credentials (decision 1096): a SQL count answers only
   * SCRAM (never the password in clear or as MD5 to a server the agent may have chosen) and reports
   * a server error by its SQLSTATE alone (its message can quote data the role may read).
   */
  credentialed?: boolean | undefined;
}

/** The most of a tool's output a preview keeps. */
export const MAX_OUTPUT = 16 * 1024;

interface ToolResult {
  code: number | null;
  output: string;
  timedOut: boolean;
  error?: string | undefined;
}

/**
 * One tool run (argv array, never a shell), its process group killed at the deadline; the answer
 * comes then even if a process that left the group still holds the output open.
 */
function tool(argv: string[], o: RunOptions): Promise<ToolResult> {
  return new Promise((resolveRun) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    let settled = false;
    const res = (r: ToolResult): void => {
      if (settled) return;
      settled = true;
      resolveRun(r);
    };
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: o.cwd,
      env: o.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const take = (c: Buffer): void => {
      if (size < MAX_OUTPUT + 1) chunks.push(c.subarray(0, MAX_OUTPUT + 1 - size));
      size += c.length;
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      child.stdout.destroy();
      child.stderr.destroy();
      res({ code: null, output: '', timedOut: true });
    }, o.timeoutMs);
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      res({
        code: null,
        output: '',
        timedOut: false,
        error: err.code === 'ENOENT' ? `${argv[0]} is not installed (or not on the daemon's PATH)` : err.message,
      });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      let output = Buffer.concat(chunks).toString('utf8');
      if (size > MAX_OUTPUT) output = `${output.slice(0, MAX_OUTPUT)}\n… (${size} bytes in all; the rest is not shown)`;
      res({ code, output, timedOut });
    });
  });
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

function fromTool(r: ToolResult, o: RunOptions, what: string, okCodes: number[] = [0]): PreviewRun {
  if (r.error !== undefined) return { status: 'failed', text: `${what} could not run: ${r.error}` };
  if (r.timedOut) return { status: 'timeout', text: `${what} did not finish within ${seconds(o.timeoutMs)}` };
  if (r.code === null || !okCodes.includes(r.code))
    return { status: 'failed', text: `${what} failed (exit ${r.code ?? 'signal'}):\n${r.output.trim()}` };
  return { status: 'ok', text: r.output.trim() };
}

/** A preview's answer, at the latest a moment after its limit whatever it waits for (a hung disk, a tool). */
export async function runPreview(plan: PreviewPlan, o: RunOptions): Promise<PreviewRun> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<PreviewRun>((res) => {
    timer = setTimeout(
      () => res({ status: 'timeout', text: `the preview did not finish within ${seconds(o.timeoutMs)}` }),
      o.timeoutMs + LATE_GRACE_MS,
    );
  });
  try {
    return await Promise.race([runKind(plan, o), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** How long past its limit a preview may take to report its own timeout before the backstop answers. */
const LATE_GRACE_MS = 500;

function runKind(plan: PreviewPlan, o: RunOptions): Promise<PreviewRun> {
  switch (plan.kind) {
    case 'terraform-plan':
      return terraformPlan(plan, o);
    case 'sql-count':
      return sqlCount(plan, o);
    case 'git-push-drops':
      return gitDrops(plan, o);
    case 'rm-tree':
      return rmTree(plan, o);
    case 'kubectl-diff':
      return kubectlDiff(plan, o);
    case 'helm-diff':
      return helmDiff(plan, o);
  }
}

async function kubectlDiff(plan: Extract<PreviewPlan, { kind: 'kubectl-diff' }>, o: RunOptions): Promise<PreviewRun> {
  // kubectl diff exits 1 when there are differences
  const r = await tool(['kubectl', 'diff', ...plan.args], o);
  const run = fromTool(r, o, 'kubectl diff', [0, 1]);
  return run.status === 'ok' && run.text === '' ? { status: 'ok', text: 'kubectl diff: no changes' } : run;
}

/** `helm diff upgrade`, where helm and its diff plugin answer `helm diff version` (decision 1097). */
async function helmDiff(plan: Extract<PreviewPlan, { kind: 'helm-diff' }>, o: RunOptions): Promise<PreviewRun> {
  const started = Date.now();
  const version = await tool(['helm', 'diff', 'version'], o);
  if (version.timedOut) return fromTool(version, o, 'helm diff version');
  if (version.error !== undefined || version.code !== 0) {
    const why = version.error ?? `helm diff version: exit ${version.code ?? 'signal'}`;
    return { status: 'skipped', text: `skipped: helm diff not installed (${why})` };
  }
  const left = { ...o, timeoutMs: Math.max(1, o.timeoutMs - (Date.now() - started)) };
  const r = await tool(['helm', ...plan.args], { ...left, env: { ...o.env, HELM_DIFF_COLOR: 'false' } });
  const run = fromTool(r, o, 'helm diff upgrade');
  return run.status === 'ok' && run.text === '' ? { status: 'ok', text: 'helm diff: no changes' } : run;
}

async function terraformPlan(
  plan: Extract<PreviewPlan, { kind: 'terraform-plan' }>,
  o: RunOptions,
): Promise<PreviewRun> {
  const env = { ...o.env, TF_IN_AUTOMATION: '1', TF_INPUT: '0' };
  const chdir = plan.chdir === undefined ? [] : [`-chdir=${plan.chdir}`];
  if (plan.planFile !== undefined) {
    const r = await tool(['terraform', ...chdir, 'show', '-no-color', plan.planFile], { ...o, env });
    return fromTool(r, o, `terraform show ${plan.planFile}`);
  }
  const argv = ['terraform', ...chdir, 'plan', '-input=false', '-no-color', '-lock=false'];
  if (plan.destroy) argv.push('-destroy');
  const planTo = (out: string): Promise<ToolResult> => tool([...argv, ...plan.options, `-out=${out}`], { ...o, env });
  // the daemon's own file: it hashes and keeps what is there once this run has ended
  if (o.planOut !== undefined) return fromTool(await planTo(o.planOut), o, 'terraform plan');
  const keep = o.keepPlan;
  if (keep !== undefined) await mkdir(dirname(keep.path), { recursive: true, mode: 0o700 });
  const dir = keep === undefined ? await mkdtemp(join(tmpdir(), 'guard-plan-')) : undefined;
  const out = keep?.path ?? join(dir!, 'preview.tfplan');
  let kept = false;
  try {
    const run = fromTool(await planTo(out), o, 'terraform plan');
    if (run.status !== 'ok') return run;
    const saved = await readFile(out).catch(() => undefined);
    const digest = saved === undefined ? undefined : createHash('sha256').update(saved).digest('hex');
    kept = keep !== undefined && digest !== undefined;
    return { status: 'ok', text: savedPlanText(run.text, digest, kept ? keep?.words : undefined) };
  } finally {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    else if (!kept) await rm(out, { force: true });
  }
}

/** psql's connection arguments as a pg client configuration (the daemon's PG* variables fill the rest). */
function pgConfig(args: string[]): pg.ClientConfig | string {
  const cfg: pg.ClientConfig = {};
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const v = args[i + 1] ?? '';
    const takes = ['-h', '--host', '-p', '--port', '-U', '--username', '-d', '--dbname'].includes(a);
    if (a === '-h' || a === '--host') cfg.host = v;
    else if (a === '-p' || a === '--port') cfg.port = Number(v);
    else if (a === '-U' || a === '--username') cfg.user = v;
    else if (a === '-d' || a === '--dbname') positional.unshift(v);
    else positional.push(a);
    if (takes) i++;
  }
  const [db, user] = positional;
  if (user !== undefined && cfg.user === undefined) cfg.user = user;
  if (db === undefined) return cfg;
  if (/^postgres(ql)?:\/\//.test(db)) return { ...cfg, connectionString: db };
  if (db.includes('=')) return 'a key=value connection string is not read by the preview';
  return { ...cfg, database: db };
}

/** What a credentialed count says of a failure: the SQLSTATE (and its class name), never the server's text. */
function sqlState(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return (err as Error).message;
  const known: Record<string, string> = {
    '25006': 'a write in the read-only transaction',
    '57014': 'cancelled at the time limit',
    '42501': 'insufficient privilege',
    '42P01': 'no such table',
    '28P01': 'password authentication failed',
  };
  return `SQLSTATE ${code}${known[code] === undefined ? '' : ` (${known[code]})`}; the server's message is not shown (it can quote data)`;
}

async function sqlCount(plan: Extract<PreviewPlan, { kind: 'sql-count' }>, o: RunOptions): Promise<PreviewRun> {
  const cfg = pgConfig(plan.connection);
  if (typeof cfg === 'string') return { status: 'failed', text: `row count could not run: ${cfg}` };
  const options = { ...cfg, connectionTimeoutMillis: o.timeoutMs, query_timeout: o.timeoutMs };
  // pg (and what it loads) is read only when a count runs: the daemon does not pay for it at start-up
  const { sqlClient } = await import('./pg-client.js');
  const client = sqlClient(options, o.credentialed === true);
  client.on('error', () => undefined); // a lost connection is reported by the failing query
  const query = `SELECT count(*) AS n FROM ${plan.table}${plan.where === undefined ? '' : ` WHERE ${plan.where}`}`;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<PreviewRun>((res) => {
    timer = setTimeout(
      () => res({ status: 'timeout', text: `row count did not finish within ${seconds(o.timeoutMs)}` }),
      o.timeoutMs,
    );
  });
  const count = (async (): Promise<PreviewRun> => {
    await client.connect();
    await client.query('BEGIN READ ONLY');
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(o.timeoutMs))}`);
    // one extended-protocol statement: the server refuses a second one in it
    const r = await client.query({ text: query, queryMode: 'extended' } as pg.QueryConfig);
    await client.query('ROLLBACK');
    const raw = (r.rows[0] as { n?: unknown } | undefined)?.n;
    const n = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : '?';
    const what =
      plan.statement === 'UPDATE'
        ? `would change ${n} row(s) of ${plan.table}`
        : plan.where === undefined
          ? `would remove all ${n} row(s) of ${plan.table}`
          : `would remove ${n} row(s) of ${plan.table}`;
    return { status: 'ok', text: `${plan.statement} ${what} (counted in a read-only transaction: ${query})` };
  })().catch((err: unknown) => ({
    status: 'failed' as const,
    text: `row count failed: ${o.credentialed === true ? sqlState(err) : (err as Error).message}`,
  }));
  try {
    return await Promise.race([count, deadline]);
  } finally {
    clearTimeout(timer);
    void client.end().catch(() => undefined);
  }
}

async function gitDrops(plan: Extract<PreviewPlan, { kind: 'git-push-drops' }>, o: RunOptions): Promise<PreviewRun> {
  const git = (args: string[]): Promise<ToolResult> =>
    tool(['git', ...(plan.gitDir === undefined ? [] : ['-C', plan.gitDir]), '--no-pager', ...args], {
      ...o,
      env: { ...o.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' },
    });
  let src = plan.src;
  if (src === undefined) {
    const head = await git(['symbolic-ref', '--short', '-q', 'HEAD']);
    if (head.code !== 0) return fromTool(head, o, 'git symbolic-ref HEAD');
    src = head.output.trim();
  }
  const dst = (plan.dst ?? src).replace(/^refs\/heads\//, '');
  const remoteRef = `refs/remotes/${plan.remote}/${dst}`;
  const known = await git(['rev-parse', '--verify', '-q', '--end-of-options', remoteRef]);
  if (known.timedOut || known.error !== undefined) return fromTool(known, o, 'git rev-parse');
  if (known.code !== 0)
    return {
      status: 'ok',
      text: `no remote-tracking ref ${plan.remote}/${dst}: nothing known to drop (as of the last fetch)`,
    };
  const log = await git([
    'log',
    '--no-color',
    '--format=%h %an %ad %s',
    '--date=short',
    '-n',
    '51',
    '--end-of-options',
    remoteRef,
    `^${src}`,
    '--',
  ]);
  const run = fromTool(log, o, 'git log');
  if (run.status !== 'ok') return run;
  const lines = run.text === '' ? [] : run.text.split('\n');
  const head = `force-push of ${src} to ${plan.remote}/${dst} drops ${lines.length > 50 ? 'more than 50' : lines.length} commit(s) (as of the last fetch)`;
  return { status: 'ok', text: [head, ...lines.slice(0, 50)].join('\n') };
}

async function rmTree(plan: Extract<PreviewPlan, { kind: 'rm-tree' }>, o: RunOptions): Promise<PreviewRun> {
  const deadline = Date.now() + o.timeoutMs;
  const lines: string[] = [];
  let late = false;
  for (const t of plan.targets) {
    const path = resolve(o.cwd, t);
    const c = { files: 0, dirs: 0, links: 0, bytes: 0 };
    const st = await lstat(path).catch(() => undefined);
    if (st === undefined) {
      lines.push(`${path}: does not exist`);
      continue;
    }
    const stack = [path];
    if (!st.isDirectory()) {
      stack.pop();
      if (st.isSymbolicLink()) c.links++;
      else {
        c.files++;
        c.bytes += st.size;
      }
    }
    while (stack.length > 0) {
      if (Date.now() > deadline) {
        late = true;
        break;
      }
      const dir = stack.pop()!;
      c.dirs++;
      const handle = await opendir(dir).catch(() => undefined);
      if (handle === undefined) continue;
      for await (const e of handle) {
        if (Date.now() > deadline) {
          late = true;
          break;
        }
        const p = join(dir, e.name);
        if (e.isDirectory()) stack.push(p);
        else if (e.isSymbolicLink()) c.links++;
        else {
          c.files++;
          c.bytes += (await lstat(p).catch(() => undefined))?.size ?? 0;
        }
      }
    }
    const atLeast = late ? 'at least ' : '';
    lines.push(
      `${path}: ${atLeast}${c.files} file(s), ${c.dirs} director${c.dirs === 1 ? 'y' : 'ies'}, ${c.links} symlink(s) (not followed), ${atLeast}${c.bytes} bytes`,
    );
    if (late) break;
  }
  if (late) return { status: 'timeout', text: [...lines, `counting stopped after ${seconds(o.timeoutMs)}`].join('\n') };
  return { status: 'ok', text: lines.join('\n') };
}
