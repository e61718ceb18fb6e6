/**
 * Large commands are judged in a worker thread (src/daemon/judge-pool.ts, decision 0025). The
 * daemon runs from dist/ (a worker needs the bundled dist/judge-worker.js): while a 128 KiB shell
 * line is judged, a ping on another connection is answered first, and the worker's decision equals
 * the one the engine makes inline. A worker that dies fails its commands closed.
 */
import { watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DaemonClient } from '../../src/daemon/client.js';
import { JudgePool, WORKER_MIN_BYTES } from '../../src/daemon/judge-pool.js';
import { ask } from '../../src/daemon/replies.js';
import {
  createEngine,
  evaluateWithScripts,
  loadPolicy,
  type Engine,
  type LoadedPolicy,
} from '../../src/policy/index.js';
import type { PolicyRequest } from '../../src/policy/types.js';
import { MARK, Rig } from './helpers.js';

const requester = { user: 'alice', agent: 'claude-code', host: 'box' };

/** Just under 128 KiB of shell statements (the largest line a check takes), one of them denied. */
function bigLine(rig: Rig): string {
  const parts: string[] = [];
  let n = 0;
  for (let i = 0; n < 128 * 1024 - 64; i++) {
    const s = i === 100 ? `${MARK} ${rig.marker} deny-me; ` : `echo line${i} && true; `;
    parts.push(s);
    n += s.length;
  }
  return parts.join('');
}

/** Resolves when the daemon log holds `text` (fs events, no polling interval). */
function logLine(file: string, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const look = (): void => {
      readFile(file, 'utf8').then((s) => {
        if (!s.includes(text)) return;
        w.close();
        resolve();
      }, reject);
    };
    const w = watch(file, look);
    look();
  });
}

let rig: Rig;
let engine: Engine;
beforeEach(async () => {
  rig = new Rig();
  engine = await createEngine();
});
afterEach(async () => {
  await rig.cleanup();
});

const inline = (req: PolicyRequest, loaded: LoadedPolicy) => evaluateWithScripts(engine, req, loaded.policy);

describe('the judge worker', () => {
  it('judges a 128 KiB line off the main loop: a ping is answered first; the decision equals the inline one', async () => {
    await rig.startDaemon();
    const socket = join(rig.env['GUARD_HOME']!, 'run', 'guard.sock');
    const big = await DaemonClient.connect(socket);
    const small = await DaemonClient.connect(socket);
    const shell = bigLine(rig);
    const handedOff = logLine(join(rig.env['GUARD_HOME']!, 'daemon.log'), 'bytes sent to the judge worker');
    const order: string[] = [];
    const bigAnswer = ask(big, { type: 'check', shell, cwd: rig.home, context: { requester }, record: false }).then(
      (o) => {
        order.push('big');
        return o;
      },
    );
    await handedOff;
    await ask(small, { type: 'ping' });
    order.push('ping');
    const got = await bigAnswer;
    expect(order).toEqual(['ping', 'big']);

    const loaded = await loadPolicy({ env: rig.env, cwd: rig.home, files: [rig.policy], engine });
    const want = inline({ argv: ['bash', '-c', shell], shell, cwd: rig.home, requester }, loaded);
    expect(want.effect).toBe('deny');
    expect(got).toMatchObject({
      effect: want.effect,
      risk: want.risk,
      reasons: want.reasons,
      policyDigest: want.policyDigest,
      unresolved: want.unresolved.map((u) => ({ kind: u.kind, detail: u.detail })),
    });
    expect(got.matches.map((m) => m.ruleId)).toEqual(want.matches.map((m) => m.ruleId));
    big.close();
    small.close();
  });

  it.each(['exit', 'throw'])('fails closed when the worker dies (%s): never allow', async (how) => {
    const loaded = await loadPolicy({ env: rig.env, cwd: rig.home, files: [rig.policy], engine });
    const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const fixture = new URL(`./fixtures/judge-worker-${how}s.mjs`, import.meta.url);
    const pool = new JudgePool((req, p) => evaluateWithScripts(engine, req, p), log, fixture);
    // harmless statements the test policy (default: allow) allows when judged inline
    const shell = 'echo fine; '.repeat(Math.ceil(WORKER_MIN_BYTES / 11) + 1);
    const req = { argv: ['bash', '-c', shell], shell, cwd: rig.home, requester };
    expect(inline(req, loaded).effect).toBe('allow');
    const d = await pool.judge(req, loaded);
    expect(d.effect).toBe('approve'); // the test policy's on_unresolved
    expect(d.unresolved[0]).toMatchObject({ kind: 'internal' });
    // a small command stays inline, without the worker
    expect((await pool.judge({ argv: ['true'], cwd: rig.home, requester }, loaded)).effect).toBe('allow');
    await pool.stop();
  });
});
