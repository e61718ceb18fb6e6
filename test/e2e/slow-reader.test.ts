/**
 * Slow readers lose nothing: the CLI never exits before stdout has drained, and the daemon pages
 * its replies, so a long listing arrives complete through a pipe whose reader is slower than the
 * writer (the reader sleeps before it reads; the test itself waits only for the pipeline to end).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DaemonClient } from '../../src/daemon/client.js';
import { BIN, MARK, Rig, TEST_POLICY } from '../daemon/helpers.js';
import { ask } from '../../src/daemon/replies.js';

let rig: Rig;

beforeEach(() => {
  rig = new Rig();
});
afterEach(async () => {
  await rig.cleanup();
});

const sock = (): string => join(rig.env['GUARD_HOME']!, 'run', 'guard.sock');

/** Raise `n` commands over one connection (as many `guard exec --no-wait` would), `batch` at a time. */
async function raise(socket: string, n: number, label: string, cwd: string, batch = 200): Promise<string[]> {
  const c = await DaemonClient.connect(socket);
  const ids: string[] = [];
  try {
    for (let i = 0; i < n; i += batch) {
      const outs = await Promise.all(
        Array.from({ length: Math.min(batch, n - i) }, (_, j) =>
          ask(c, {
            type: 'exec',
            argv: [MARK, '/dev/null', label, String(i + j)],
            cwd,
            context: { requester: { user: 'agent', agent: 'test' } },
            noWait: true,
          }),
        ),
      );
      for (const o of outs) if ('requestId' in o) ids.push(o.requestId);
    }
  } finally {
    c.close();
  }
  return ids;
}

/** Run `guard ARGS | (sleep 0.5; READER)` and return the reader's output and guard's exit status. */
function throughSlowPipe(args: string[], reader: string): Promise<{ out: string; guardStatus: string }> {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
  const script = `${quoted} | (sleep 0.5; ${reader}); echo "guard=\${PIPESTATUS[0]}"`;
  return new Promise((resolve, reject) => {
    const p = spawn('/bin/bash', ['-c', script], { env: rig.env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.on('error', reject);
    p.on('close', () => {
      const m = /guard=(\d+)\s*$/.exec(out);
      resolve({ out: out.slice(0, m?.index ?? out.length), guardStatus: m?.[1] ?? '?' });
    });
  });
}

describe('a slow reader gets every record', () => {
  it('`guard ledger show --json | (sleep .5; wc -l)` counts every record, exit 0', async () => {
    await rig.startDaemon();
    await raise(sock(), 300, 'hello', rig.home);
    const records = await rig.ledger();
    expect(records.length).toBeGreaterThan(900); // well beyond one 64 KiB pipe buffer
    const r = await throughSlowPipe(['ledger', 'show', '--json'], 'wc -l');
    expect(r.guardStatus).toBe('0');
    expect(Number(r.out.trim())).toBe(records.length);
  });

  it('`guard requests --json` through a slow pipe is complete, valid JSON', async () => {
    await rig.startDaemon();
    const ids = await raise(sock(), 600, 'approve-me', rig.home);
    const r = await throughSlowPipe(['requests', '--json'], 'cat');
    expect(r.guardStatus).toBe('0');
    const got = (JSON.parse(r.out) as { requests: { view: { id: string } }[] }).requests.map((d) => d.view.id);
    expect(got.sort()).toEqual([...ids].sort());
  });

  it('10,000 pending requests: `guard requests --json` lists every one (paged replies)', async () => {
    // raising 10,000 takes minutes on a loaded machine: none may expire meanwhile
    await rig.cleanup();
    rig = new Rig(TEST_POLICY.replace('approval: { timeout: 10m }', 'approval: { timeout: 2h }'));
    await rig.startDaemon();
    const ids = await raise(sock(), 10_000, 'approve-me', rig.home, 500);
    expect(ids).toHaveLength(10_000);
    const c = await DaemonClient.connect(sock());
    const t0 = performance.now();
    const first = await ask(c, { type: 'list', all: false });
    const ms = performance.now() - t0;
    c.close();
    console.log(`first page of 10,000 pending: ${first.requests.length} requests in ${ms.toFixed(1)} ms`);
    expect(first.next).toBeDefined();
    const r = await throughSlowPipe(['requests', '--json'], 'cat');
    expect(r.guardStatus).toBe('0');
    const got = (JSON.parse(r.out) as { requests: { view: { id: string } }[] }).requests.map((d) => d.view.id);
    expect(new Set(got).size).toBe(10_000);
    expect(got.sort()).toEqual([...ids].sort());
  }, 600_000);
});
