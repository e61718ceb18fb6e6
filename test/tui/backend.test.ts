/** The daemon link and backend without the UI, against a real daemon process. */
import { afterEach, beforeEach, expect, test } from 'vitest';
import { DaemonBackend, DecisionError } from '../../src/tui/backend.js';
import { DaemonLink } from '../../src/tui/link.js';
import type { Action } from '../../src/tui/reducer.js';
import { Rig } from '../daemon/helpers.js';
import { approverSession, socketOf } from './helpers.js';

const ID = /request (rq-[0-9a-f]{12}) is waiting/;
let rig: Rig;
beforeEach(async () => {
  rig = new Rig();
  await rig.enroll('bob', ['ops']);
});
afterEach(async () => {
  await rig.cleanup();
});

function connect(callTimeoutMs = 15_000, pageSize?: number) {
  const now = () => Date.now();
  const link = new DaemonLink({ socket: socketOf(rig), now, initialDelayMs: 50, maxDelayMs: 200, callTimeoutMs });
  const session = approverSession(rig, 'bob', 60_000, now);
  const backend = new DaemonBackend(link, session, now, pageSize);
  const actions: Action[] = [];
  backend.start((a) => actions.push(a));
  const until = async (pred: (a: Action) => boolean, ms = 10_000): Promise<Action> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = actions.find(pred);
      if (hit !== undefined) return hit;
      if (Date.now() > deadline) throw new Error(`no such action in ${JSON.stringify(actions.map((a) => a.type))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { backend, actions, until };
}

test('a decision on a request that is no longer open is not signed or sent', async () => {
  await rig.startDaemon();
  const exec = rig.exec('approve-me');
  const [, id] = await exec.waitFor(ID);
  const { backend, until } = connect();
  await until((a) => a.type === 'connection' && a.connection.status === 'live');
  await backend.unlock(Buffer.from('correct horse bob battery staple'), { requestId: id!, action: 'approve' });
  expect((await rig.guard(['revoke', id!])).code).toBe(0);
  await until((a) => a.type === 'update' && a.view.id === id && a.view.state === 'revoked');
  await expect(backend.decide({ requestId: id!, action: 'approve' })).rejects.toThrow(
    /not sent: rq-[0-9a-f]{12} is revoked now/,
  );
  expect((await rig.ledger()).filter((e) => e.type === 'approval')).toHaveLength(0);
  backend.stop();
});

test('a daemon that stops answering fails the call after the timeout, never leaving the UI busy', async () => {
  const daemon = await rig.startDaemon();
  const exec = rig.exec('approve-me');
  const [, id] = await exec.waitFor(ID);
  const { backend, until } = connect(500);
  await until((a) => a.type === 'connection' && a.connection.status === 'live');
  await backend.unlock(Buffer.from('correct horse bob battery staple'), { requestId: id!, action: 'approve' });
  daemon.kill('SIGSTOP');
  try {
    const err = await backend.decide({ requestId: id!, action: 'approve' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DecisionError);
    expect((err as Error).message).toMatch(/no answer to show within 0.5 s/);
  } finally {
    daemon.kill('SIGCONT');
  }
  backend.stop();
  exec.child.kill('SIGTERM');
  expect(rig.marks()).toHaveLength(0);
});

test('no daemon: reported down with growing retry delays; nothing is sent', async () => {
  const { backend, actions, until } = connect();
  await until((a) => a.type === 'connection' && a.connection.status === 'down' && a.connection.attempt >= 3);
  const downs = actions.flatMap((a) =>
    a.type === 'connection' && a.connection.status === 'down' ? [a.connection] : [],
  );
  expect(downs[0]?.message).toMatch(/no daemon socket at .*guard daemon start/);
  expect(downs.map((d) => d.attempt).slice(0, 3)).toEqual([1, 2, 3]);
  await expect(backend.decide({ requestId: 'rq-000000000000', action: 'approve' })).rejects.toThrow(
    /not sent: the daemon is unreachable/,
  );
  await expect(backend.history()).rejects.toThrow(/not connected/);
  backend.stop();
});

test('history entries carry their request command, also when the request record was on another page', async () => {
  await rig.startDaemon();
  const exec = rig.exec('approve-me');
  const [, id] = await exec.waitFor(ID);
  await rig.approve(id!, 'bob');
  await exec.done;
  const request = (await rig.ledger()).find((e) => e.type === 'request' && e.payload['requestId'] === id);
  const command = String(request?.payload['command']);
  expect(command).toContain('approve-me');
  // one record a page: every request record arrives on a page of its own, before its decisions
  for (const pageSize of [undefined, 1]) {
    const { backend, until } = connect(15_000, pageSize);
    await until((a) => a.type === 'connection' && a.connection.status === 'live');
    const items = (await backend.history()).filter((i) => i.requestId === id);
    expect(items.map((i) => i.type)).toEqual(['exec_end', 'exec_start', 'decision', 'approval', 'decision']);
    for (const i of items) expect(i.command).toBe(command);
    // the chain: every record of the request, oldest first, read across pages
    const chain = await backend.record(id!);
    expect(chain.map((i) => i.type)).toEqual(['request', 'decision', 'approval', 'decision', 'exec_start', 'exec_end']);
    expect(chain[0]?.command).toBe(command);
    backend.stop();
  }
});
