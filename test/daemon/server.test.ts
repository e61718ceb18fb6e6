/**
 * The socket server under hostile input: random bytes, oversized and malformed frames, invalid
 * messages and byte-at-a-time clients. The server answers what it can, drops the bad connection
 * and keeps serving everyone else. Real Unix sockets.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonClient } from '../../src/daemon/client.js';
import { encodeFrame, FrameReader } from '../../src/daemon/framing.js';
import { createDaemonServer, ReplyError, type Handlers } from '../../src/daemon/server.js';

const like = (re: RegExp): unknown => expect.stringMatching(re);

let dir: string;
let socket: string;
let server: Server;
let closeAll: () => void;
const errors: unknown[] = [];

const refuse = (): never => {
  throw new ReplyError('refused', 'not in this test');
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gd-srv-'));
  socket = join(dir, 's.sock');
  const handlers: Handlers = {
    ping: (c, m) => c.result(m.id, { pong: true }),
    status: async (c, m) => {
      await new Promise((r) => setTimeout(r, 5));
      c.result(m.id, { ok: true });
    },
    exec: () => {
      throw new Error('boom');
    },
    exec_end: refuse,
    exec_run: refuse,
    exec_stream: refuse,
    exec_signal: refuse,
    credential: refuse,
    check: refuse,
    decide: refuse,
    report_refusal: refuse,
    reply: refuse,
    revoke: refuse,
    grant_extend: refuse,
    wait: refuse,
    list: refuse,
    show: refuse,
    subscribe: refuse,
    grants: refuse,
    history: refuse,
    enroll: refuse,
    approver_remove: refuse,
    approver_change: refuse,
    approver_get: refuse,
    shutdown: refuse,
  };
  ({ server, closeAll } = createDaemonServer({ handlers, onError: (e) => errors.push(e) }));
  await new Promise<void>((r) => server.listen(socket, r));
});

afterAll(async () => {
  closeAll();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

/** Send raw bytes; collect every decoded reply until the server closes the connection. */
function raw(bytes: Buffer[], opts: { byteAtATime?: boolean } = {}): Promise<unknown[]> {
  return new Promise((resolve) => {
    const s: Socket = connect({ path: socket });
    const reader = new FrameReader();
    const got: unknown[] = [];
    s.on('data', (c: Buffer) => got.push(...reader.push(c)));
    s.on('error', () => undefined);
    s.on('close', () => resolve(got));
    s.on('connect', () => {
      void (async () => {
        for (const b of bytes) {
          if (opts.byteAtATime) {
            for (const byte of b) {
              s.write(Buffer.from([byte]));
              await new Promise((r) => setImmediate(r));
            }
          } else s.write(b);
        }
        setTimeout(() => s.end(), 200);
      })();
    });
  });
}

/** The test server's handlers answer with plain test values, not the daemon's replies: read them unchecked. */
const unchecked = (data: unknown): unknown => data;

async function stillServing(): Promise<void> {
  const c = await DaemonClient.connect(socket);
  expect(await c.call({ type: 'ping' }, unchecked)).toEqual({ pong: true });
  c.close();
}

describe('daemon socket server', () => {
  it('answers correlated messages, sequential and concurrent', async () => {
    const c = await DaemonClient.connect(socket);
    const rs = await Promise.all([
      c.call({ type: 'status' }, unchecked),
      c.call({ type: 'ping' }, unchecked),
      c.call({ type: 'status' }, unchecked),
    ]);
    expect(rs).toEqual([{ ok: true }, { pong: true }, { ok: true }]);
    await expect(c.call({ type: 'list', all: false }, unchecked)).rejects.toMatchObject({ code: 'refused' });
    await expect(
      c.call({ type: 'exec', argv: ['x'], cwd: '/', context: {}, noWait: false }, unchecked),
    ).rejects.toMatchObject({
      code: 'internal',
    });
    expect(await c.call({ type: 'ping' }, unchecked)).toEqual({ pong: true });
    c.close();
  });

  it('answers an oversized frame with an error and closes, without reading its body', async () => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(64 * 1024 * 1024);
    const got = await raw([head, randomBytes(1024)]);
    expect(got).toEqual([expect.objectContaining({ type: 'error', code: 'bad_request', message: like(/oversized/) })]);
    await stillServing();
  });

  it('answers malformed JSON and invalid messages with an error and closes', async () => {
    const body = Buffer.from('{"id":1,"type":');
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length);
    expect(await raw([head, body])).toEqual([expect.objectContaining({ type: 'error', message: like(/malformed/) })]);
    const bad = await raw([encodeFrame({ id: 9, type: 'ping', sneaky: true }), encodeFrame({ id: 10, type: 'ping' })]);
    expect(bad).toEqual([expect.objectContaining({ re: 9, type: 'error', code: 'bad_request' })]);
    await stillServing();
  });

  it('serves a client that sends one byte at a time', async () => {
    const got = await raw([encodeFrame({ id: 1, type: 'ping' }), encodeFrame({ id: 2, type: 'status' })], {
      byteAtATime: true,
    });
    expect(got).toEqual([
      { re: 1, type: 'result', data: { pong: true } },
      { re: 2, type: 'result', data: { ok: true } },
    ]);
  });

  it('survives random garbage from many clients at once', async () => {
    const clients = Array.from({ length: 50 }, (_, i) => {
      const len = 8 + ((i * 7919) % 5000);
      const junk = randomBytes(len);
      if (i % 3 === 0) junk.writeUInt32BE(len - 4 > 0 ? Math.min(len - 4, 100) : 0, 0);
      return raw([junk]);
    });
    await Promise.all(clients);
    await stillServing();
  });
});
