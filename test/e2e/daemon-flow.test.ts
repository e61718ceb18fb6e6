/**
 * guard exec end to end against a real daemon process (real socket, SQLite, ledger): allow, deny,
 * approve → run exactly once, human deny, expiry, revoke, questions, --no-wait + wait + re-run.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasExecEnds, MARK, Rig } from '../daemon/helpers.js';

const anyString: unknown = expect.any(String);

let rig: Rig;
beforeEach(async () => {
  rig = new Rig();
  await rig.startDaemon();
});
afterEach(() => rig.cleanup());

const ID = /request (rq-[0-9a-f]{12}) is waiting/;

describe('guard exec with a daemon', () => {
  it('runs an allowed command at once and records request, decision, exec_start and exec_end', async () => {
    const r = await rig.exec('hello').done;
    expect(r.code).toBe(0);
    expect(rig.marks()).toHaveLength(1);
    const types = (await rig.ledger(hasExecEnds(1))).filter((x) => x.type !== 'ledger_open').map((x) => x.type);
    expect(types).toEqual(['request', 'decision', 'exec_start', 'exec_end']);
  });

  it('never spawns a denied command: exit 77, the rule named, the marker untouched', async () => {
    const r = await rig.exec('deny-me').done;
    expect(r.code).toBe(77);
    expect(r.stderr).toMatch(/denied by policy.*t\.deny/);
    expect(rig.marks()).toEqual([]);
    const types = (await rig.ledger()).map((x) => x.type);
    expect(types).not.toContain('exec_start');
  });

  it('holds an approve command, says what it waits for, and runs it exactly once after approval', async () => {
    await rig.enroll('alice', ['ops']);
    const p = rig.exec('approve-me', ['--reason', 'testing']);
    const [, id] = await p.waitFor(ID);
    await p.waitFor(/time left/);
    const stderr = p.output().stderr;
    expect(stderr).toMatch(/t\.approve/);
    expect(stderr).toMatch(/guard approve rq-/);
    expect(stderr).toMatch(/time left \d+[smh]/);
    expect(rig.marks()).toEqual([]);
    const a = await rig.approve(id!, 'alice');
    expect(a.code, a.stderr).toBe(0);
    const r = await p.done;
    expect(r.code).toBe(0);
    expect(rig.marks()).toHaveLength(1);
    const recs = (await rig.ledger(hasExecEnds(1))).filter((x) => x.payload['requestId'] === id);
    expect(recs.map((x) => x.type)).toEqual(['request', 'decision', 'approval', 'decision', 'exec_start', 'exec_end']);
    expect(recs[2]!.payload).toMatchObject({
      approver: 'alice',
      action: 'approve',
      channel: 'cli',
      signature: anyString,
    });
    // the grant was used: approving again or re-running does not run it a second time
    const again = await rig.exec('approve-me', ['--no-wait']).done;
    expect(again.code).toBe(75);
    expect(rig.marks()).toHaveLength(1);
  });

  it('exits 76 and runs nothing when a human denies', async () => {
    await rig.enroll('alice', ['ops']);
    const p = rig.exec('approve-me');
    const [, id] = await p.waitFor(ID);
    const d = await rig.guard([
      'deny',
      id!,
      '--as',
      'alice',
      '--passphrase-file',
      rig.passFile('alice'),
      '--reason',
      'not today',
    ]);
    expect(d.code, d.stderr).toBe(0);
    const r = await p.done;
    expect(r.code).toBe(76);
    expect(r.stderr).toMatch(/denied: not today/);
    expect(rig.marks()).toEqual([]);
  });

  it('exits 76 when the request expires and never runs it afterwards', async () => {
    await rig.enroll('alice', ['ops']);
    const p = rig.exec('expire-me');
    const [, id] = await p.waitFor(ID);
    const r = await p.done;
    expect(r.code).toBe(76);
    expect(r.stderr).toMatch(/expired/);
    const late = await rig.approve(id!, 'alice');
    expect(late.code).not.toBe(0);
    expect(rig.marks()).toEqual([]);
    const types = (await rig.ledger()).filter((x) => x.payload['requestId'] === id).map((x) => x.type);
    expect(types).toEqual(['request', 'decision', 'expired', 'approval_refused']);
  });

  it('gives up after --timeout with exit 76 and cancels nothing into running', async () => {
    const r = await rig.exec('approve-me', ['--timeout', '1s']).done;
    expect(r.code).toBe(76);
    expect(rig.marks()).toEqual([]);
  });

  it('exits 76 at once when the request is revoked', async () => {
    const p = rig.exec('approve-me');
    const [, id] = await p.waitFor(ID);
    const v = await rig.guard(['revoke', id!, '--reason', 'changed my mind']);
    expect(v.code, v.stderr).toBe(0);
    const r = await p.done;
    expect(r.code).toBe(76);
    expect(r.stderr).toMatch(/revoked/);
    expect(rig.marks()).toEqual([]);
  });

  it('shows an approver question to the waiting agent, takes the reply, then runs on approval', async () => {
    await rig.enroll('alice', ['ops']);
    const p = rig.exec('approve-me');
    const [, id] = await p.waitFor(ID);
    const ask = await rig.guard([
      'ask',
      id!,
      '--as',
      'alice',
      '--passphrase-file',
      rig.passFile('alice'),
      '--question',
      'which ticket?',
    ]);
    expect(ask.code, ask.stderr).toBe(0);
    await p.waitFor(/alice asks: which ticket\?/); // the agent is told who asked
    const reply = await rig.guard(['reply', id!, '--message', 'OPS-7']);
    expect(reply.code, reply.stderr).toBe(0);
    const show = JSON.parse((await rig.guard(['show', id!, '--json'])).stdout) as {
      view: { state: string; reply: string };
    };
    expect(show.view).toMatchObject({ state: 'pending', reply: 'OPS-7' });
    expect((await rig.approve(id!, 'alice')).code).toBe(0);
    expect((await p.done).code).toBe(0);
    expect(rig.marks()).toHaveLength(1);
  });

  it('--no-wait returns the id (exit 75); wait succeeds after approval; the re-run uses the grant once', async () => {
    await rig.enroll('alice', ['ops']);
    const first = await rig.exec('approve-me', ['--no-wait']).done;
    expect(first.code).toBe(75);
    const id = first.stdout.trim();
    expect(id).toMatch(/^rq-[0-9a-f]{12}$/);
    const list = JSON.parse((await rig.guard(['requests', '--json'])).stdout) as {
      requests: { view: { id: string } }[];
    };
    expect(list.requests.map((r) => r.view.id)).toContain(id);
    const waiting = rig.spawnGuard(['wait', id]);
    await waiting.waitFor(/waiting for a decision on request/);
    expect((await rig.approve(id, 'alice')).code).toBe(0);
    expect((await waiting.done).code).toBe(0);
    expect(rig.marks()).toEqual([]);
    const rerun = await rig.exec('approve-me').done;
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rig.marks()).toHaveLength(1);
    const third = await rig.exec('approve-me', ['--no-wait']).done;
    expect(third.code).toBe(75);
    expect(rig.marks()).toHaveLength(1);
  });

  it('cancels the request when the waiting client goes away', async () => {
    const p = rig.exec('approve-me');
    const [, id] = await p.waitFor(ID);
    p.child.kill('SIGKILL');
    await p.done;
    let state = '';
    for (let i = 0; i < 50 && state !== 'cancelled'; i++) {
      state = (JSON.parse((await rig.guard(['show', id!, '--json'])).stdout) as { view: { state: string } }).view.state;
    }
    expect(state).toBe('cancelled');
  });

  it('a grant with two uses runs the same command twice, then no more', async () => {
    await rig.enroll('alice', ['ops']);
    const first = await rig.exec('twice-me', ['--no-wait']).done;
    const id = first.stdout.trim();
    expect((await rig.approve(id, 'alice')).code).toBe(0);
    expect((await rig.exec('twice-me').done).code).toBe(0);
    expect((await rig.exec('twice-me').done).code).toBe(0);
    expect((await rig.exec('twice-me', ['--no-wait']).done).code).toBe(75);
    expect(rig.marks()).toHaveLength(2);
    expect(MARK).toContain('mark');
  });
});
