/**
 * The judge worker (a separate bundled entry, dist/judge-worker.js, started by
 * src/daemon/judge-pool.ts): judges large commands off the daemon's main loop. It compiles the
 * daemon's policy from the same texts (examples were already judged by the daemon) and checks that
 * the digest is the daemon's; any mismatch or failure is answered as an error, which the daemon
 * turns into a fail-closed decision (decision 0025).
 */
import { parentPort } from 'node:worker_threads';
import { compilePolicy, type PolicyDoc } from './load/compile.js';
import type { CompiledPolicy } from './rules/compiled.js';
import { createEngine, type Engine } from './engine.js';
import { evaluateWithScripts } from './script-read.js';
import type { Decision, PolicyRequest } from './types.js';

export interface JudgeJob {
  id: number;
  req: PolicyRequest;
  digest: string;
  /** Sent with the first job for a digest; the worker keeps the compiled policy. */
  docs?: PolicyDoc[] | undefined;
}

export type JudgeAnswer = { id: number; decision: Decision } | { id: number; error: string };

const POLICIES_KEPT = 16;

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('the judge worker must run in a worker thread');
  const engine: Promise<Engine> = createEngine();
  const policies = new Map<string, CompiledPolicy>();
  port.on('message', (job: JudgeJob) => {
    void (async (): Promise<JudgeAnswer> => {
      try {
        let policy = policies.get(job.digest);
        if (policy === undefined) {
          if (job.docs === undefined) return { id: job.id, error: `policy ${job.digest} is not known to the worker` };
          const loaded = compilePolicy(job.docs, { skipExamples: true });
          if (loaded.digest !== job.digest)
            return { id: job.id, error: `the worker compiled policy ${loaded.digest}, not ${job.digest}` };
          if (policies.size >= POLICIES_KEPT) policies.clear();
          policies.set(job.digest, (policy = loaded.policy));
        }
        return { id: job.id, decision: evaluateWithScripts(await engine, job.req, policy) };
      } catch (err) {
        return { id: job.id, error: err instanceof Error ? err.message : String(err) };
      }
    })().then((answer) => port.postMessage(answer));
  });
}

void main();
