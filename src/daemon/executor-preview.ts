/**
 * Effect previews of credentialed commands (enforced mode, decision 1096): run as the executor runs
 * the command — as the runner user (setpriv, no groups, no capabilities), in the request's cwd
 * entered by the runner, with the programs of the executor's trusted PATH, the allow-listed client
 * variables the request binds and, where the kind allows it, the credentials the rule would inject
 * for this command — bounded by the preview's time limit and output cap. The preview itself runs in
 * dist/preview-runner.js (src/preview/runner-entry.ts) with the same code as a single-user preview.
 * Every credential value is cut from what it prints before anything else sees it.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants, realpathSync, rmSync } from 'node:fs';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutorJob } from '../preview/index.js';
import { MAX_OUTPUT, type PreviewRun } from '../preview/run.js';
import type { RunnerJob } from '../preview/runner-entry.js';
import { savedPlanText } from '../preview/saved-plan.js';
import type { DaemonContext } from './context.js';
import {
  asRunner,
  credentialRecords,
  DEFAULT_EXECUTOR_PATH,
  executorConfig,
  placeCredentials,
  receiveCredentials,
  runnerDir,
  runnerFile,
  runnerMayRead,
  runnerOf,
  trusted,
  trustedProgram,
  type ExecutorPlan,
  type Received,
} from './executor.js';
import { ReplyError } from './server.js';

/** A preview run as the runner, and what the `request` record keeps of that run (decision 1096). */
export type ExecutorPreviewRun = PreviewRun & {
  ranAs?: { runner: { user: string; uid: number }; credentials: ReturnType<typeof credentialRecords> } | undefined;
};

/** The most of a runner's saved plan the daemon keeps (a larger one is not kept: nothing to apply). */
const MAX_PLAN_BYTES = 64 * 1024 * 1024;

/** How long past its limit the runner may take to report its own timeout before its group is killed. */
const GRACE_MS = 1000;

/** The bundled runner entry, beside the daemon's own bundle. */
const runnerEntry = (): string => fileURLToPath(new URL('./preview-runner.js', import.meta.url));

/**
 * The preview of a credentialed command as the runner. `clientEnv` holds the values of the client
 * variables the request binds (only the executor's allow-listed names are passed on).
 */
export async function executorPreview(
  ctx: DaemonContext,
  exec: ExecutorPlan,
  clientEnv: Record<string, string> | undefined,
  job: ExecutorJob,
): Promise<ExecutorPreviewRun> {
  const cfg = executorConfig(ctx.env);
  if (cfg.runner === undefined) return { status: 'skipped', text: 'not previewed: this daemon has no executor' };
  let dir: string | undefined;
  let planDir: string | undefined;
  let received: Received[] = [];
  try {
    const runner = runnerOf(ctx, cfg.runner);
    const node = trustedProgram(process.execPath, '');
    const entry = trustedFile(runnerEntry());
    const chdirTool = trustedProgram('env', DEFAULT_EXECUTOR_PATH);
    if (node === undefined || entry === undefined || chdirTool === undefined)
      return {
        status: 'skipped',
        text: `not previewed: node (${process.execPath}), the preview runner (${runnerEntry()}) or env must be root-owned and writable by no one else to run as the runner`,
      };
    if (!(await runnerMayRead(exec.cwd, runner, DEFAULT_EXECUTOR_PATH)))
      return {
        status: 'failed',
        text: `preview not run: the runner user ${runner.user} cannot enter or read ${exec.cwd}`,
      };
    const env: Record<string, string> = {};
    for (const name of cfg.envNames) {
      const v = clientEnv?.[name];
      if (v !== undefined) env[name] = v;
    }
    Object.assign(env, { PATH: cfg.path, HOME: runner.home, USER: runner.user, LOGNAME: runner.user });
    if (job.withCredentials) {
      received = await receiveCredentials(ctx, exec.credentials);
      dir = placeCredentials(received, runner, cfg, env);
    }
    // terraform's plan goes into a file the daemon made: the runner may write it, not rename or
    // replace it, and the agent's user cannot reach it (decision 1110)
    let planOut: string | undefined;
    if (job.keepPlan !== undefined) {
      planDir = runnerDir(runner, cfg, 'guard-plan-');
      planOut = runnerFile(planDir, 'plan.tfplan', Buffer.alloc(0), runner, 0o660);
    }
    const runnerJob: RunnerJob = {
      plan: job.plan,
      timeoutMs: job.timeoutMs,
      credentialed: job.withCredentials,
      planOut,
    };
    const run = await runAsRunner(
      [...asRunner(runner), chdirTool, `--chdir=${exec.cwd}`, '--', node, entry],
      env,
      JSON.stringify(runnerJob),
      job.timeoutMs,
    );
    const ranAs = { runner: { user: runner.user, uid: runner.uid }, credentials: credentialRecords(received) };
    let text = withoutValues(run.text, received);
    if (planOut !== undefined && job.keepPlan !== undefined && run.status === 'ok')
      text = await keepRunnerPlan(planOut, job.keepPlan, text);
    return { status: run.status, text, ranAs };
  } catch (err) {
    if (!(err instanceof ReplyError)) throw err;
    return { status: 'failed', text: `preview not run: ${err.message}` };
  } finally {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    if (planDir !== undefined) rmSync(planDir, { recursive: true, force: true });
  }
}

/**
 * The plan the runner wrote, read once by the daemon and kept in its own GUARD_HOME/plans: what
 * the digest names is what was read, whatever a process the preview left behind writes later. The
 * closing line is the daemon's (decision 1086's), after the runner's text.
 */
async function keepRunnerPlan(file: string, keep: { path: string; words: string[] }, text: string): Promise<string> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  // at most one byte more than it had: a file that grows while read (or is too large) is not kept
  let size = 0;
  let buf: Buffer;
  try {
    buf = Buffer.alloc(Math.min((await handle.stat()).size, MAX_PLAN_BYTES) + 1);
    for (let n = -1; n !== 0 && size < buf.length; size += n)
      n = (await handle.read(buf, size, buf.length - size, size)).bytesRead;
  } finally {
    await handle.close();
  }
  if (size === buf.length)
    return `${savedPlanText(text, undefined)}\n(the saved plan was larger than ${MAX_PLAN_BYTES} bytes or still growing, and was not kept)`;
  if (size === 0) return savedPlanText(text, undefined);
  const bytes = buf.subarray(0, size);
  await mkdir(dirname(keep.path), { recursive: true, mode: 0o700 });
  await writeFile(keep.path, bytes, { mode: 0o600 });
  return savedPlanText(text, createHash('sha256').update(bytes).digest('hex'), keep.words);
}

/** The runner's script, by its real path, when it and every directory above are root's alone. */
function trustedFile(path: string): string | undefined {
  try {
    const real = realpathSync(path);
    return trusted(real) ? real : undefined;
  } catch {
    return undefined;
  }
}

/** Every credential value (and each of its lines, for a file) cut from a text. */
function withoutValues(text: string, received: readonly Received[]): string {
  let out = text;
  for (const r of received) {
    const v = r.value.toString('utf8');
    const parts = [v, v.trim(), ...v.split('\n').map((l) => l.trim())].filter((p) => p.length >= 4);
    for (const p of [...new Set(parts)].sort((a, b) => b.length - a.length))
      out = out.split(p).join(`[credential ${r.meta.name}]`);
  }
  return out;
}

/** setpriv … node preview-runner.js, its job on stdin, its answer on stdout; the group killed at the deadline. */
function runAsRunner(
  argv: string[],
  env: Record<string, string>,
  input: string,
  timeoutMs: number,
): Promise<PreviewRun> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    let size = 0;
    let settled = false;
    const done = (r: PreviewRun): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const child = spawn('setpriv', argv, { cwd: '/', env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const kill = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    };
    const timer = setTimeout(() => {
      kill();
      done({ status: 'timeout', text: `the preview did not finish within ${Math.round(timeoutMs / 100) / 10} s` });
    }, timeoutMs + GRACE_MS);
    // the answer is the runner's JSON: its text is already capped, so a larger stdout is not one
    const cap = 4 * MAX_OUTPUT + 4096;
    child.stdout.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= cap) out.push(c);
      else kill();
    });
    const err: Buffer[] = [];
    child.stderr.on('data', (c: Buffer) => {
      if (err.length < 16) err.push(c);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
    child.on('error', (e) => done({ status: 'failed', text: `the preview runner could not start: ${e.message}` }));
    child.on('close', (code) => {
      kill(); // nothing the preview started outlives it
      const raw = Buffer.concat(out).toString('utf8');
      try {
        const r = JSON.parse(raw) as Partial<PreviewRun>;
        const statuses = ['ok', 'failed', 'timeout', 'skipped'];
        if (typeof r.text === 'string' && typeof r.status === 'string' && statuses.includes(r.status))
          return done({ status: r.status, text: r.text.slice(0, MAX_OUTPUT + 200) });
      } catch {
        // not an answer: said below
      }
      const why = Buffer.concat(err).toString('utf8').trim().slice(0, 500);
      done({
        status: 'failed',
        text: `the preview runner failed (exit ${code ?? 'signal'})${why === '' ? '' : `: ${why}`}`,
      });
    });
  });
}
