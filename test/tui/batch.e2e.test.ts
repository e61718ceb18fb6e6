/**
 * Batch review in the approver's terminal (issue #23, decision 1113): `B` on a request of an agent
 * session shows every open request of that session; one `a` and one passphrase send one signed
 * decision per request, each over its own fingerprint. A request of another session, and one that
 * arrived after the view opened, stay pending. `d` denies them all with one reason.
 * Real tmux, the built CLI, a real daemon.
 */
import { afterEach, beforeEach, describe, test } from 'vitest';
import { BIN, ROOT, Rig } from '../daemon/helpers.js';
import { expectBatchDecided } from '../helpers/batch-review.js';
import { heldIn } from '../helpers/scoped-rule.js';
import { HAS_TMUX, PASS, Tmux } from './tmux.js';

describe.skipIf(!HAS_TMUX)('batch review of one agent session in the TUI (tmux)', () => {
  let rig: Rig;
  let t: Tmux;
  const screen = (re: RegExp): Promise<string> => t.waitScreen('t:0', re, 60_000);
  const keys = (k: string): void => t.keys('t:0', k);

  beforeEach(async () => {
    rig = new Rig();
    await rig.enroll('bob', ['ops']);
    await rig.startDaemon();
    t = new Tmux({ ...rig.env, TERM: 'xterm-256color' });
    t.run('new-session', '-d', '-s', 't', '-x', '200', '-y', '50', `cd ${ROOT} && node ${BIN} approve; sleep 300`);
    await screen(/key locked/);
  });
  afterEach(async () => {
    t.kill();
    await rig.cleanup();
  });

  test('five requests of one session approved with one passphrase: five signatures over five fingerprints', async () => {
    // the first request to arrive is the one selected
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await heldIn(rig, 'sess-A', 'approve-me', `a${i}`));
    const other = await heldIn(rig, 'sess-B', 'approve-me', 'b0');
    await screen(/approve-me b0/);
    keys('B');
    await screen(/Session sess-A: 5 requests shown, 5 still open\./);
    // arrives while the batch is on screen: named, not included
    const late = await heldIn(rig, 'sess-A', 'approve-me', 'late');
    await screen(new RegExp(`1 more request of this session arrived after this view opened \\(${late}\\)`));
    keys('a');
    await screen(/Passphrase of bob to approve all 5 requests of session sess-A/);
    t.type('t:0', PASS);
    keys('Enter');
    await screen(/approved 5 of 5 requests of session sess-A as bob, each signed over its own fingerprint/);
    // five approvals over five fingerprints; the other session's request and the late one are still pending
    await expectBatchDecided(
      rig,
      { action: 'approve', approver: 'bob', reason: 'batch approve of 5 requests in session sess-A' },
      ids,
      [other, late],
    );
  }, 240_000);

  test('d denies every request shown with one reason', async () => {
    const ids = [await heldIn(rig, 'sess-C', 'approve-me', 'c0'), await heldIn(rig, 'sess-C', 'approve-me', 'c1')];
    const other = await heldIn(rig, 'sess-D', 'approve-me', 'd0');
    await screen(/approve-me d0/);
    keys('B');
    await screen(/Session sess-C: 2 requests shown, 2 still open\./);
    keys('d');
    await screen(/Deny all open requests of session sess-C — reason \(required\)/);
    t.type('t:0', 'not today');
    keys('Enter');
    await screen(/Passphrase of bob to deny all 2 requests of session sess-C/);
    t.type('t:0', PASS);
    keys('Enter');
    await screen(/denied 2 of 2 requests of session sess-C/);
    await expectBatchDecided(
      rig,
      { action: 'deny', approver: 'bob', reason: 'not today — batch deny of 2 requests in session sess-C' },
      ids,
      [other],
    );
  }, 240_000);
});
