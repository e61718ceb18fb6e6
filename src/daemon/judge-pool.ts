/**
 * Large commands are judged in a worker thread (dist/judge-worker.js), so that parsing and walking
 * 128 KiB of shell (a second of CPU) never blocks the daemon's event loop; small ones are judged
 * inline, adding no latency. The worker crashing, failing or answering an error yields the policy's
 * fail-closed decision, never allow (decision 0025; test/daemon/judge-worker.test.ts).
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { failedDecision, type LoadedPolicy } from '../policy/index.js';
import type { JudgeAnswer, JudgeJob } from '../policy/judge-worker.js';
import type { Decision, PolicyRequest } from '../policy/types.js';
import type { Logger } from './log.js';

/** Commands with at least this many bytes of text (argv plus shell) go to the worker. */
export const WORKER_MIN_BYTES = 8 * 1024;

export function commandBytes(req: Pick<PolicyRequest, 'argv' | 'shell'>): number {
  let n = req.shell === undefined ? 0 : Buffer.byteLength(req.shell);
  for (const a of req.argv) n += Buffer.byteLength(a) + 1;
  return n;
}

interface Pending {
  resolve(d: Decision): void;
  policy: LoadedPolicy['policy'];
}

export class JudgePool {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Digests whose texts the running worker has been sent. */
  private readonly sent = new Set<string>();
  private readonly entry: URL;

  constructor(
    private readonly inline: (req: PolicyRequest, policy: LoadedPolicy['policy']) => Decision,
    private readonly log: Logger,
    entry?: URL,
  ) {
    // the daemon's bundle and the worker's entry sit side by side in dist/
    this.entry = entry ?? new URL('./judge-worker.js', import.meta.url);
  }

  judge(req: PolicyRequest, loaded: LoadedPolicy): Promise<Decision> {
    const bytes = commandBytes(req);
    // run from source (no bundle, e.g. in-process tests) there is no worker entry: judge inline
    if (bytes < WORKER_MIN_BYTES || loaded.docs === undefined || !existsSync(this.entry))
      return Promise.resolve(this.inline(req, loaded.policy));
    const worker = this.start();
    const id = this.nextId++;
    const job: JudgeJob = { id, req, digest: loaded.digest };
    if (!this.sent.has(loaded.digest)) job.docs = loaded.docs;
    return new Promise<Decision>((resolve) => {
      this.pending.set(id, { resolve, policy: loaded.policy });
      try {
        worker.postMessage(job);
        this.sent.add(loaded.digest);
        this.log.info(`judge: ${bytes} bytes sent to the judge worker (job ${id})`);
      } catch (err) {
        this.settle(id, { id, error: `the command could not be sent to the judge worker: ${(err as Error).message}` });
      }
    });
  }

  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(this.entry);
    worker.unref();
    worker.on('message', (a: JudgeAnswer) => this.settle(a.id, a));
    const fail = (why: string): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.sent.clear();
      void worker.terminate();
      this.log.error(`judge worker: ${why}; its ${this.pending.size} commands fail closed`);
      for (const id of [...this.pending.keys()]) this.settle(id, { id, error: `the judge worker ${why}` });
    };
    worker.on('error', (err) => fail(`failed: ${err.message}`));
    worker.on('messageerror', (err) => fail(`sent an unreadable answer: ${err.message}`));
    worker.on('exit', (code) => fail(`exited with code ${code}`));
    this.worker = worker;
    return worker;
  }

  private settle(id: number, a: JudgeAnswer): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    p.resolve('decision' in a ? a.decision : failedDecision(p.policy, a.error));
  }

  async stop(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    for (const id of [...this.pending.keys()]) this.settle(id, { id, error: 'the daemon is stopping' });
    await w?.terminate();
  }
}
