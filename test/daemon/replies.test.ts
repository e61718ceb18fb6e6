/**
 * The daemon's answers are checked by the client against the same zod schemas the reply types are
 * inferred from (src/daemon/replies.ts); `guard exec` checks them without zod (exec-replies.ts) and
 * must agree. A real socket stands in for a daemon that answers with the wrong shape.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DaemonClient, DaemonProtocolError } from '../../src/daemon/client.js';
import { requestRun } from '../../src/daemon/exec-client.js';
import { execOutcomeOf, waitEventOf } from '../../src/daemon/exec-replies.js';
import { encodeFrame, FrameReader } from '../../src/daemon/framing.js';
import type { ExecMessage } from '../../src/daemon/messages.js';
import { ask, eventSchemas, replySchemas, type Equal } from '../../src/daemon/replies.js';
import { FailClosedError } from '../../src/errors.js';
import type { RequestView } from '../../src/request/state.js';

let dir: string;
let server: Server;
let socket: string;

/** A socket that answers every message with `answer(type)` as its result. */
async function fakeDaemon(answer: (type: string) => unknown): Promise<void> {
  server = createServer((s) => {
    const reader = new FrameReader();
    s.on('data', (chunk: Buffer) => {
      for (const m of reader.push(chunk) as { id: number; type: string }[])
        s.write(encodeFrame({ re: m.id, type: 'result', data: answer(m.type) }));
    });
  });
  await new Promise<void>((r) => server.listen(socket, r));
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gd-replies-'));
  socket = join(dir, 's.sock');
});
afterEach(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const view: RequestView = {
  id: 'rq-0123456789ab',
  state: 'pending',
  command: 'rm -rf /srv/x',
  argv: ['rm', '-rf', '/srv/x'],
  cwd: '/srv',
  risk: 'high',
  requester: { user: 'dev' },
  rules: [{ id: 'rm-rf', effect: 'approve', risk: 'high', description: 'recursive delete', controls: [] }],
  commands: ['rm -rf /srv/x'],
  context: {},
  createdAt: '2026-01-01T00:00:00.000Z',
  expiresAt: '2026-01-01T00:05:00.000Z',
  quorum: 1,
  approvals: [],
};

describe('typed replies', () => {
  it('a reply of the wrong shape is refused with the message type and the first bad field', async () => {
    await fakeDaemon(() => ({ pid: 'not a number', version: '1' }));
    const c = await DaemonClient.connect(socket);
    const err = await ask(c, { type: 'status' }).catch((e: unknown) => e);
    c.close();
    expect(err).toBeInstanceOf(DaemonProtocolError);
    expect((err as Error).message).toMatch(/^the daemon's answer to status is malformed: pid: .*expected number/);
  });

  it('a reply of the right shape resolves to the daemon value itself, typed', async () => {
    const pong = { pong: true, pid: 42, version: '0.1.0', protocol: 1 };
    await fakeDaemon(() => pong);
    const c = await DaemonClient.connect(socket);
    const r = await ask(c, { type: 'ping' });
    c.close();
    const typed: number = r.pid;
    expect(typed).toBe(42);
    expect(r).toEqual(pong);
  });

  it('exec fails closed on a malformed first answer: nothing is run', async () => {
    await fakeDaemon(() => ({ outcome: 'run', requestId: 'rq-0123456789ab' })); // no execId
    const c = await DaemonClient.connect(socket);
    const io = { env: {}, stdout: new PassThrough(), stderr: new PassThrough() };
    const msg: ExecMessage = { type: 'exec', argv: ['true'], cwd: '/', context: {}, noWait: false };
    const err = await requestRun(c, msg, io, undefined).catch((e: unknown) => e);
    c.close();
    expect(err).toBeInstanceOf(FailClosedError);
    expect((err as Error).message).toMatch(/answer to exec is malformed: run: execId.*nothing was run/);
  });
});

describe('the exec path checks agree with the schemas', () => {
  const outcomes: unknown[] = [
    { outcome: 'run', execId: 'x1', requestId: 'rq-0123456789ab' },
    { outcome: 'run', execId: 'x1', requestId: 'rq-0123456789ab', grant: 'g', executor: { env: ['PATH'], token: 't' } },
    { outcome: 'deny', requestId: 'rq-0123456789ab', reasons: ['no'], rules: ['r'], hint: 'h' },
    { outcome: 'pending', requestId: view.id, view, channels: ['cli'], waitUntil: view.expiresAt },
    { outcome: 'closed', requestId: view.id, state: 'expired', reason: 'expired' },
    { outcome: 'need_context' },
    { outcome: 'need_context', env: ['DEPLOY_ENV'] },
  ];
  const events: unknown[] = [
    { event: 'update', view: { ...view, state: 'needs_info', question: 'why?', askedBy: 'alice' } },
    { event: 'run', execId: 'x1', requestId: view.id, approvedBy: ['alice'] },
    { event: 'approved', requestId: view.id, view },
    { event: 'closed', requestId: view.id, state: 'denied', reason: 'no' },
  ];
  const badOutcomes: unknown[] = [
    null,
    [],
    { outcome: 'maybe' },
    { outcome: 'run', requestId: view.id },
    { outcome: 'deny', requestId: view.id, reasons: 'no', rules: [], hint: 'h' },
    { outcome: 'pending', requestId: view.id, view: { ...view, risk: 'extreme' }, channels: [], waitUntil: 'x' },
    { outcome: 'pending', requestId: view.id, view: { ...view, quorum: '1' }, channels: [], waitUntil: 'x' },
    { outcome: 'closed', requestId: view.id, state: 'gone', reason: 'x' },
    { outcome: 'run', execId: 'x1', requestId: view.id, executor: { env: ['PATH'] } },
    { outcome: 'need_context', env: 'DEPLOY_ENV' },
  ];
  const badEvents: unknown[] = [
    { event: 'update', view: { ...view, question: 7 } },
    { event: 'run', requestId: view.id },
    { event: 'closed', requestId: view.id, state: 'over', reason: 'x' },
    { event: 'later' },
  ];

  it('accept what the schema accepts', () => {
    for (const o of outcomes) {
      expect(replySchemas.exec.safeParse(o).success).toBe(true);
      expect(execOutcomeOf(o)).toBe(o);
    }
    for (const e of events) {
      expect(eventSchemas.exec.safeParse(e).success).toBe(true);
      expect(waitEventOf(e)).toBe(e);
    }
  });

  it('refuse, as the schema does, a reply of the wrong shape', () => {
    for (const o of badOutcomes) {
      expect(replySchemas.exec.safeParse(o).success).toBe(false);
      expect(execOutcomeOf(o)).toBeInstanceOf(DaemonProtocolError);
    }
    for (const e of badEvents) {
      expect(eventSchemas.exec.safeParse(e).success).toBe(false);
      expect(waitEventOf(e)).toBeInstanceOf(DaemonProtocolError);
    }
  });

  it('the compile-time equality check tells types apart (optional, extra and missing fields)', () => {
    // @ts-expect-error an optional field is not a required one
    const a: Equal<{ a: string }, { a?: string }> = true;
    // @ts-expect-error an extra field makes another type
    const b: Equal<{ a: string }, { a: string; b: number }> = true;
    const same: Equal<{ a: string; b?: number | undefined }, { a: string; b?: number | undefined }> = true;
    expect([a, b, same]).toEqual([true, true, true]);
  });
});
