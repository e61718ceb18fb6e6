/**
 * The App against a real daemon: live push, signed approve / deny / ask, wrong passphrase,
 * changes made elsewhere, daemon loss and reconnection. Real processes, sockets, keys and ledger.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { Rig } from '../daemon/helpers.js';
import { CTRL_C, ENTER, ESC, mountApp } from './helpers.js';

const ID = /request (rq-[0-9a-f]{12}) is waiting/;

let rig: Rig;
beforeEach(() => {
  rig = new Rig();
});
afterEach(async () => {
  cleanup();
  await rig.cleanup();
});

const pass = (name: string) => `correct horse ${name} battery staple`;

describe('with a running daemon', () => {
  beforeEach(async () => {
    await rig.enroll('bob', ['ops']);
    await rig.startDaemon();
  });

  test('a pending request is pushed; approving signs with the key and the command runs', async () => {
    const app = mountApp(rig, { approver: 'bob' });
    // a terminal tall enough for the whole detail pane: what it shows above the rules (the place,
    // e.g. "ci", and the judged script's commands) depends on the machine
    Object.defineProperty(app.stdout, 'rows', { get: () => 60 });
    app.stdout.emit('resize');
    await app.waitFrame(/No requests waiting/);
    const exec = rig.exec('approve-me');
    const [, id] = await exec.waitFor(ID);
    await app.waitFrame(new RegExp(`${id}  PENDING  risk HIGH`));
    expect(app.lastFrame()).toContain('t.approve (approve) Test rule that needs one approval');
    await app.press('a');
    await app.waitFrame(new RegExp(`Passphrase of bob to approve ${id} \\(unlocks for 10m\\):`));
    await app.press(...pass('bob'));
    // the mask says a passphrase was typed, never how long it is
    expect(app.lastFrame()).toContain('(unlocks for 10m): (hidden)');
    expect(app.lastFrame()).not.toContain('*'.repeat(pass('bob').length));
    expect(app.lastFrame()).not.toContain('horse');
    await app.press(ENTER);
    await app.waitFrame(/approved rq-[0-9a-f]{12} as bob \(signed\): APPROVED/);
    expect(app.lastFrame()).toMatch(/key unlocked \d+m\d+s/);
    const r = await exec.done;
    expect(r.code).toBe(0);
    expect(rig.marks()).toHaveLength(1);
    const approval = (await rig.ledger()).find((e) => e.type === 'approval');
    expect(approval?.payload).toMatchObject({ requestId: id, approver: 'bob', action: 'approve', channel: 'tui' });
    expect(approval?.payload['signature']).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    // the request stays on screen, decided, and cannot be acted on again
    await app.press('a');
    await app.waitFrame(/cannot approve: APPROVED by bob/);
  });

  test('deny needs a reason; the key stays unlocked for the next decision; the requester is refused', async () => {
    const app = mountApp(rig, { approver: 'bob' });
    const first = rig.exec('approve-me');
    const [, id1] = await first.waitFor(ID);
    await app.waitFrame(new RegExp(id1!));
    await app.press('d');
    await app.waitFrame(/reason \(required\):/);
    await app.press(ENTER);
    await app.waitFrame(/a reason is required to deny/);
    await app.press(...'drops the prod table');
    await app.press(ENTER);
    await app.waitFrame(/Passphrase of bob to deny/);
    await app.press(...pass('bob'), ENTER);
    await app.waitFrame(/denied rq-[0-9a-f]{12} as bob \(signed\): DENIED/);
    expect((await first.done).code).toBe(76);
    const second = rig.exec('approve-me');
    const [, id2] = await second.waitFor(ID);
    await app.waitFrame(/2 open|1 open/);
    // the decided request keeps the selection (sorted below open ones); go to the top one
    await app.press('g');
    await app.waitFrame(new RegExp(`${id2}  PENDING`));
    // unlocked now, but approving a high-risk request asks for the passphrase again (decision 0710)
    await app.waitFrame(/key unlocked/);
    await app.press('a');
    await app.waitFrame(/Passphrase of bob to approve/);
    await app.press(...pass('bob'), ENTER);
    await app.waitFrame(new RegExp(`approved ${id2} as bob`));
    expect((await second.done).code).toBe(0);
    expect(rig.marks()).toHaveLength(1);
    const votes = (await rig.ledger()).filter((e) => e.type === 'approval').map((e) => e.payload);
    expect(votes).toEqual([
      expect.objectContaining({ requestId: id1, action: 'deny', reason: 'drops the prod table', approver: 'bob' }),
      expect.objectContaining({ requestId: id2, action: 'approve', approver: 'bob' }),
    ]);
  });

  test('a wrong passphrase signs nothing, says so, and leaves a trace in the ledger', async () => {
    const app = mountApp(rig, { approver: 'bob' });
    const exec = rig.exec('approve-me');
    const [, id] = await exec.waitFor(ID);
    await app.waitFrame(new RegExp(id!));
    await app.press('a', ...'not the passphrase', ENTER);
    await app.waitFrame(/wrong passphrase/);
    expect(app.lastFrame()).toMatch(/Passphrase of bob to approve/);
    await app.press(ESC);
    await app.waitFrame(/cancelled: nothing was sent/);
    const ledger = await rig.ledger();
    expect(ledger.filter((e) => e.type === 'approval')).toHaveLength(0);
    expect(ledger.find((e) => e.type === 'approval_refused')?.payload).toMatchObject({
      requestId: id,
      approver: 'bob',
    });
    exec.child.kill('SIGTERM');
    expect(rig.marks()).toHaveLength(0);
  });

  test('approved elsewhere while the prompt is open: it updates in place and nothing is sent', async () => {
    await rig.enroll('carol', ['ops'], 'bob');
    const app = mountApp(rig, { approver: 'bob' });
    const exec = rig.exec('approve-me');
    const [, id] = await exec.waitFor(ID);
    await app.waitFrame(new RegExp(id!));
    await app.press('d', ...'hmm');
    await app.waitFrame(/reason \(required\): hmm/);
    expect((await rig.approve(id!, 'carol')).code).toBe(0);
    await app.waitFrame(/changed while you typed: APPROVED by carol/);
    expect(app.lastFrame()).toContain('■ APPROVED by carol — nothing left to decide');
    expect((await exec.done).code).toBe(0);
    const votes = (await rig.ledger()).filter((e) => e.type === 'approval');
    expect(votes.map((v) => v.payload['approver'])).toEqual(['carol']);
  });

  test('Enter then q in one burst: the decision in flight is sent before the UI quits', async () => {
    const app = mountApp(rig, { approver: 'bob' });
    const exec = rig.exec('approve-me');
    const [, id] = await exec.waitFor(ID);
    await app.waitFrame(new RegExp(id!));
    app.stdin.write('dnot now\r');
    await app.waitFrame(/Passphrase of bob to deny/);
    app.stdin.write(`${pass('bob')}\rq`);
    expect((await exec.done).code).toBe(76);
    const vote = (await rig.ledger()).find((e) => e.type === 'approval');
    expect(vote?.payload).toMatchObject({ requestId: id, action: 'deny', reason: 'not now', approver: 'bob' });
  });

  test('ask sends a signed question: the request waits for the answer', async () => {
    const app = mountApp(rig, { approver: 'bob' });
    const exec = rig.exec('approve-me');
    const [, id] = await exec.waitFor(ID);
    await app.waitFrame(new RegExp(id!));
    await app.press('i', ...'which ticket?', ENTER, ...pass('bob'), ENTER);
    await app.waitFrame(/asked about rq-[0-9a-f]{12} as bob \(signed\): waiting for the requester's answer/);
    // the question comes first in the detail, whatever the length of the context below it
    await app.press(ENTER);
    await app.waitFrame(/Question: +bob asks: which ticket\?/);
    expect((await rig.ledger()).find((e) => e.type === 'approval')?.payload).toMatchObject({
      action: 'ask',
      question: 'which ticket?',
    });
    exec.child.kill('SIGTERM');
  });

  test('history lists recent decisions from the ledger, newest first', async () => {
    const exec = rig.exec('approve-me');
    const [, id] = await exec.waitFor(ID);
    await rig.approve(id!, 'bob');
    await exec.done;
    const app = mountApp(rig, { approver: 'bob' });
    await app.waitFrame(/open/);
    await app.press('h');
    await app.waitFrame(/RECORD +REQUEST/);
    const f = await app.waitFrame(/exec_end +rq-/);
    const rows = f.split('\n').filter((l) => l.includes(id!));
    // did it run? the start and the exit are in the history too
    expect(rows[0]).toMatch(/exec_end +rq-[0-9a-f]{12} - +command exited 0/);
    expect(rows[1]).toMatch(/exec_start +rq-[0-9a-f]{12} - +command started/);
    expect(rows[2]).toMatch(/decision +rq-[0-9a-f]{12} bob +approved/);
    expect(rows[3]).toMatch(/approval +rq-[0-9a-f]{12} bob +approve via cli/);
    expect(rows[4]).toMatch(/decision +rq-[0-9a-f]{12} policy +rules t\.approve: approve/);
    // each entry shows its request's command, in the ledger's display form
    const request = (await rig.ledger()).find((e) => e.type === 'request' && e.payload['requestId'] === id);
    const command = String(request?.payload['command']);
    expect(command).toContain('approve-me');
    const lines = f.split('\n');
    const first = lines.findIndex((l) => l.includes(id!));
    expect(lines[first + 1]).toContain(`$ ${command.slice(0, 40)}`);
    // Enter on the selected (newest) entry opens its whole record chain, read-only
    await app.press(ENTER);
    const chain = await app.waitFrame(/exec_end +command exited 0/);
    expect(chain).toContain(`${id} · every ledger record of this request (read-only)`);
    expect(chain).toContain('approve-me');
    const types = chain
      .split('\n')
      .map((l) => /^ {2}\d\d-\d\d \d\d:\d\d:\d\d (\S+)/.exec(l)?.[1])
      .filter((t) => t !== undefined);
    expect(types).toEqual(['request', 'decision', 'approval', 'decision', 'exec_start', 'exec_end']);
    await app.press(ESC);
    await app.waitFrame(/RECORD +REQUEST/);
    await app.press(ESC);
    await app.waitFrame(/No requests waiting/);
    await app.press(CTRL_C);
  });
});

describe('daemon down', () => {
  test('says so, retries with backoff, and becomes live when the daemon starts; loss makes requests stale', async () => {
    await rig.enroll('bob', ['ops']);
    const app = mountApp(rig, { approver: 'bob', retryMs: 150 });
    await app.waitFrame(/DAEMON DOWN · retry in/);
    expect(app.lastFrame()).toContain('daemon unreachable (no daemon socket at');
    const daemon = await rig.startDaemon();
    await app.waitFrame(/No requests waiting/);
    const exec = rig.exec('approve-me');
    const [, id] = await exec.waitFor(ID);
    await app.waitFrame(new RegExp(`${id}  PENDING`));
    daemon.kill('SIGTERM');
    await app.waitFrame(/DAEMON DOWN/);
    expect(app.lastFrame()).toMatch(/› HIGH \S+ +~/); // the time-left column marks the row stale
    await app.press('a');
    await app.waitFrame(/cannot approve: the daemon is unreachable/);
    expect(app.lastFrame()).not.toMatch(/Passphrase of/);
  });

  test('the layout follows a terminal resize', async () => {
    await rig.enroll('bob', ['ops']);
    const app = mountApp(rig, { approver: 'bob', retryMs: 150 });
    const before = await app.waitFrame(/DAEMON DOWN/);
    expect(before.split('\n')[0]).toHaveLength(100); // ink-testing-library's terminal
    Object.defineProperty(app.stdout, 'columns', { get: () => 130 });
    app.stdout.emit('resize');
    const after = await app.waitFrame(/^.{130}\n/);
    expect(after.split('\n')[0]).toMatch(/^guard · requests · bob · key locked +DAEMON DOWN · retry in \S+$/);
  });
});
