/**
 * The preview as the runner (a separate bundled entry, dist/preview-runner.js, started by
 * src/daemon/executor-preview.ts through setpriv as the executor's runner user, in the request's
 * cwd, with the environment the executor builds): reads one job from stdin, runs the planned
 * preview with the same code as a single-user preview and writes the outcome to stdout as JSON.
 * Decision 1096.
 */
import type { PreviewPlan } from './detect.js';
import { runPreview, type PreviewRun } from './run.js';

export interface RunnerJob {
  plan: PreviewPlan;
  timeoutMs: number;
  credentialed: boolean;
  /** The daemon's file for terraform's plan, to be kept and applied exactly (decision 1110). */
  planOut?: string | undefined;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function main(): Promise<void> {
  const job = JSON.parse(await readStdin()) as RunnerJob;
  const run = await runPreview(job.plan, {
    cwd: process.cwd(),
    env: process.env,
    timeoutMs: job.timeoutMs,
    credentialed: job.credentialed,
    planOut: job.planOut,
  }).catch((err: unknown): PreviewRun => ({ status: 'failed', text: `preview failed: ${(err as Error).message}` }));
  process.stdout.write(JSON.stringify(run));
}

main().catch((err: unknown) => {
  process.stderr.write(`preview runner: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
