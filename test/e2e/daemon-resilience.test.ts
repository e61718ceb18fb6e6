/**
 * The daemon under failure and load: killed mid-wait, restarted with requests pending, hostile
 * frames, and 200 concurrent exec clients — nothing runs without a decision, nothing is lost.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DaemonClient } from '../../src/daemon/client.js';
import { encodeFrame } from '../../src/daemon/framing.js';
import { hasExecEnds, Rig } from '../daemon/helpers.js';
import { ask } from '../../src/daemon/replies.js';

let rig: Rig;
beforeEach(() => {
  rig = new Rig();
});
afterEach(() => rig.cleanup());

const ID = /request (rq-[0-9a-f]{12}) is waiting/;
const sock = (): string => join(rig.env['GUARD_HOME']!, 'run', 'guard.sock');

describe('daemon resilience', () => {
  it('fails closed (70) and never runs when the daemon dies mid-wait and is not back by the deadline', async () => {
    const d = await rig.startDaemon();
    await rig.enroll('alice', ['ops']);
    // a lost daemon is looked for until the request's own deadline (decision 1005): keep it short
    const p = rig.exec('approve-me', ['--timeout', '20s']);
    await p.waitFor(ID);
    d.kill('SIGKILL');
    const r = await p.done;
    expect(r.code).toBe(70);
    expect(r.stderr).toMatch(/lost the guard daemon/);
    expect(rig.marks()).toEqual([]);
  });

  it('keeps pending requests across a restart; approval after it works once', async () => {
    const d = await rig.startDaemon();
    await rig.enroll('alice', ['ops']);
    const first = await rig.exec('approve-me', ['--no-wait']).done;
    const id = first.stdout.trim();
    d.kill('SIGTERM');
    await new Promise((r) => d.on('exit', r));
    await rig.startDaemon();
    const list = JSON.parse((await rig.guard(['requests', '--json'])).stdout) as {
      requests: { view: { id: string; state: string } }[];
    };
    expect(list.requests.map((r) => [r.view.id, r.view.state])).toEqual([[id, 'pending']]);
    expect((await rig.approve(id, 'alice')).code).toBe(0);
    expect((await rig.exec('approve-me').done).code).toBe(0);
    expect((await rig.exec('approve-me', ['--no-wait']).done).code).toBe(75);
    expect(rig.marks()).toHaveLength(1);
  });

  it('expires at restart a request whose deadline passed while the daemon was down', async () => {
    const d = await rig.startDaemon();
    await rig.enroll('alice', ['ops']);
    const id = (await rig.exec('expire-me', ['--no-wait']).done).stdout.trim();
    const { view } = JSON.parse((await rig.guard(['show', id, '--json'])).stdout) as { view: { expiresAt: string } };
    d.kill('SIGTERM');
    await new Promise((r) => d.on('exit', r));
    // the deadline passes while the daemon is down
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(view.expiresAt) - Date.now() + 1)));
    await rig.startDaemon();
    const show = JSON.parse((await rig.guard(['show', id, '--json'])).stdout) as { view: { state: string } };
    expect(show.view.state).toBe('expired');
    expect((await rig.approve(id, 'alice')).code).not.toBe(0);
    expect((await rig.guard(['wait', id])).code).toBe(76);
    expect((await rig.exec('expire-me', ['--no-wait']).done).code).toBe(75);
    expect(rig.marks()).toEqual([]);
  });

  it('a waiting client re-attaches to a restarted daemon and runs once on approval', async () => {
    const d = await rig.startDaemon();
    await rig.enroll('alice', ['ops']);
    const p = rig.exec('approve-me');
    const [, id] = await p.waitFor(ID);
    d.kill('SIGTERM');
    await new Promise((r) => d.on('exit', r));
    await rig.startDaemon();
    await p.waitFor(/reconnected to the daemon/);
    expect((await rig.approve(id!, 'alice')).code).toBe(0);
    expect((await p.done).code).toBe(0);
    expect(rig.marks()).toHaveLength(1);
  });

  it('stays up under random, malformed, oversized and byte-at-a-time frames', async () => {
    await rig.startDaemon();
    const hostile = async (bytes: Buffer, slow: boolean): Promise<void> =>
      new Promise((resolve) => {
        const s = connect({ path: sock() });
        s.on('error', () => resolve());
        s.on('close', () => resolve());
        s.on('data', () => undefined);
        s.on('connect', () => {
          void (async () => {
            if (slow) {
              for (const b of bytes) {
                if (s.destroyed) break;
                s.write(Buffer.from([b]));
                await new Promise((r) => setTimeout(r, 1));
              }
            } else s.write(bytes);
            setTimeout(() => s.destroy(), 100);
          })();
        });
      });
    const huge = Buffer.alloc(4);
    huge.writeUInt32BE(0xffffffff);
    const cases: [Buffer, boolean][] = [
      [randomBytes(5000), false],
      [huge, false],
      [Buffer.concat([encodeFrame({ id: 1, type: 'exec', argv: [], cwd: '', context: {}, noWait: 'x' })]), false],
      [encodeFrame({ id: 2, type: 'decide', signed: { v: 2 } }), false],
      [encodeFrame({ id: 3, type: 'ping' }), true],
      [Buffer.from('GET / HTTP/1.1\r\n\r\n'), false],
    ];
    for (let i = 0; i < 30; i++) cases.push([randomBytes(1 + i * 37), i % 5 === 0]);
    await Promise.all(cases.map(([b, slow]) => hostile(b, slow)));
    const status = await rig.guard(['daemon', 'status', '--json']);
    expect(status.code).toBe(0);
    expect((await rig.exec('hello').done).code).toBe(0);
  });

  it('serves 200 concurrent exec clients and loses no ledger record', async () => {
    await rig.startDaemon();
    const N = 200;
    const one = async (i: number): Promise<void> => {
      const c = await DaemonClient.connect(sock(), 10_000);
      try {
        const o = await ask(c, {
          type: 'exec',
          argv: ['true', String(i)],
          cwd: rig.home,
          context: { requester: { user: 'load' } },
          noWait: false,
        });
        if (o.outcome !== 'run') throw new Error(`client ${i}: ${o.outcome}`);
        await ask(c, { type: 'exec_end', execId: o.execId, exitCode: 0, signal: null, durationMs: 1 });
      } finally {
        c.close();
      }
    };
    await Promise.all(Array.from({ length: N }, (_, i) => one(i)));
    // and a batch of real CLI processes at the same time as more protocol clients
    const cli = Array.from({ length: 16 }, () => rig.exec('hello').done);
    await Promise.all([...cli, ...Array.from({ length: 50 }, (_, i) => one(N + i))]);
    for (const r of await Promise.all(cli)) expect(r.code).toBe(0);
    expect(rig.marks()).toHaveLength(16);
    const recs = await rig.ledger(hasExecEnds(N + 50 + 16));
    const count = (t: string): number => recs.filter((x) => x.type === t).length;
    const total = N + 50 + 16;
    expect([count('request'), count('decision'), count('exec_start'), count('exec_end')]).toEqual([
      total,
      total,
      total,
      total,
    ]);
    const ids = new Set(recs.filter((x) => x.type === 'exec_end').map((x) => x.payload['requestId']));
    expect(ids.size).toBe(total);
  });
});
