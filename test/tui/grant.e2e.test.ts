/**
 * Extending and revoking a live grant from the approver's terminal (issue #23, decision 1100).
 * Real tmux, the built CLI, a real daemon: a request approved in the TUI shows as a live grant;
 * `e` extends it within the rule's max_uses / max_ttl, signed with the approver's key (the ledger
 * holds `grant_extended` with the signature); `R` then `y` revokes it (`grant_revoked`) and the
 * same command is held again. Refusals: a grant already at its rule's bounds offers nothing more,
 * and an extension beyond the bounds signed by the TUI's own backend is refused by the daemon.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { DaemonBackend } from '../../src/tui/backend.js';
import { DaemonLink } from '../../src/tui/link.js';
import { BIN, MARK, ROOT, Rig } from '../daemon/helpers.js';
import { SCOPED_POLICY as POLICY } from '../helpers/scoped-rule.js';
import { approverSession, socketOf } from './helpers.js';
import { HAS_TMUX, PASS, Tmux } from './tmux.js';

describe.skipIf(!HAS_TMUX)('live grants in the TUI (tmux)', () => {
  let rig: Rig;
  let t: Tmux;
  const screen = (re: RegExp): Promise<string> => t.waitScreen('t:0', re, 60_000);
  const keys = (k: string): void => t.keys('t:0', k);
  const held = async (): Promise<string> => {
    const r = await rig.guard(['exec', '--no-wait', '--', MARK, rig.marker, 'three-me']);
    expect(r.code).toBe(75);
    return r.stdout.trim();
  };
  const recordOf = async (type: string, id: string) =>
    (await rig.ledger()).find((r) => r.type === type && r.payload['requestId'] === id);

  beforeEach(async () => {
    rig = new Rig(POLICY);
    await rig.enroll('bob', ['ops']);
    await rig.startDaemon();
    t = new Tmux({ ...rig.env, TERM: 'xterm-256color' });
    t.run('new-session', '-d', '-s', 't', '-x', '200', '-y', '40', `cd ${ROOT} && node ${BIN} approve; sleep 300`);
    await screen(/key locked/);
  });
  afterEach(async () => {
    t.kill();
    await rig.cleanup();
  });

  test('approve, see the live grant, extend it (signed), use it, revoke it: the command is held again', async () => {
    const id = await held();
    await screen(new RegExp(id));
    keys('a');
    await screen(/choose the grant you sign/);
    keys('1'); // once: the policy's default grant, one use
    await screen(new RegExp(`Passphrase of bob to approve ${id}`));
    t.type('t:0', PASS);
    keys('Enter');
    await screen(/APPROVED; the command may run/);

    // listed as a live grant, shown verbatim in the detail
    const listed = await screen(/1 live grant/);
    expect(listed).toMatch(/grant 1× /);
    expect(listed).toMatch(/GRANT LIVE — 1 use left for/);
    expect(listed).toMatch(/Grant: +1 use left, until 20\d\d-/);
    expect(listed).toContain('exactly this command (its fingerprint)');

    keys('e');
    const menu = await screen(/1 {2}more uses \(max_uses\)/);
    expect(menu).toContain(`Extend the grant of ${id} — choose what you sign`);
    const shown = /1 {2}more uses \(max_uses\)\s+→ (3 uses left, until \S+)/.exec(menu)?.[1];
    expect(shown).toBeDefined();
    keys('1'); // the key is unlocked and the risk is medium: sent at once
    await screen(new RegExp(`extended the grant of ${id} as bob \\(signed\\): now 3 uses left`));

    const extended = await recordOf('grant_extended', id);
    expect(extended?.payload).toMatchObject({ approver: 'bob', from: { usesLeft: 1 }, to: { usesLeft: 3 } });
    expect(`3 uses left, until ${(extended?.payload['to'] as { expiresAt: string }).expiresAt}`).toBe(shown);
    expect(extended?.payload['signature']).toEqual(expect.any(String));

    expect((await rig.guard(['exec', '--', MARK, rig.marker, 'three-me'])).code).toBe(0);
    await screen(/grant 2× /);

    keys('R');
    await screen(new RegExp(`Revoke the grant of ${id} \\(2 uses left, until \\S+\\)\\? y revokes, n keeps it`));
    keys('y');
    await screen(new RegExp(`revoked the grant of ${id}: it runs no command any more`));
    const revoked = await recordOf('grant_revoked', id);
    expect(revoked?.payload).toMatchObject({ scope: 'grant', by: 'local user', channel: 'tui' });
    expect((revoked?.payload['peer'] as { uid: number } | undefined)?.uid).toBe(process.getuid!());

    // the grant no longer runs the command: it is held as a new request
    const again = await held();
    expect(again).not.toBe(id);
    expect(rig.marks()).toHaveLength(1);
  }, 240_000);

  test('refused: a grant at its rule bounds offers nothing more; beyond them the daemon refuses', async () => {
    const id = await held();
    expect((await rig.approve(id, 'bob')).code).toBe(0);
    await screen(/1 live grant/);
    keys('e');
    await screen(/3 {2}both: the most the rule allows/);
    keys('3');
    await screen(new RegExp(`Passphrase of bob to extend ${id}`));
    t.type('t:0', PASS);
    keys('Enter');
    await screen(/now 3 uses left/);
    keys('e');
    await screen(new RegExp(`cannot extend ${id}: the grant already has the most its rule allows`));

    // what the menu never offers, signed by the TUI's own backend all the same: the daemon refuses it
    const now = () => Date.now();
    const session = approverSession(rig, 'bob', 60_000, now);
    const backend = new DaemonBackend(new DaemonLink({ socket: socketOf(rig), now }), session, now);
    await new Promise<void>((live) =>
      backend.start((a) => {
        if (a.type === 'connection' && a.connection.status === 'live') live();
      }),
    );
    try {
      session.unlock(Buffer.from(PASS));
      const g = (await backend.grants()).find((x) => x.requestId === id)!;
      const from = { usesLeft: g.usesLeft, expiresAt: g.expiresAt };
      await expect(
        backend.extend({ requestId: id, action: 'extend', from, to: { ...from, usesLeft: 4 } }),
      ).rejects.toThrow('the daemon refused it: at most 3 uses (policy max_uses)');
      const refused = await recordOf('approval_refused', id);
      expect(refused?.payload).toMatchObject({ action: 'extend', approver: 'bob', code: 'extend-refused' });
    } finally {
      backend.stop();
    }
  }, 240_000);
});
