/**
 * Choosing a scoped grant in the approver's terminal (issue #23, decision 1082): for a rule with
 * `max_uses` / `max_ttl`, approving first shows the grants the policy allows, each as the exact
 * scope text signed; "3 uses" lets the same command run three times without a new request and
 * holds the fourth. A rule without them offers no choice: `a` goes straight to the passphrase.
 * Real tmux, the built CLI, a real daemon.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { BIN, MARK, ROOT, Rig } from '../daemon/helpers.js';
import { SCOPED_POLICY as POLICY } from '../helpers/scoped-rule.js';
import { HAS_TMUX, PASS, Tmux } from './tmux.js';

describe.skipIf(!HAS_TMUX)('scoped grants chosen in the TUI (tmux)', () => {
  let rig: Rig;
  let t: Tmux;
  const screen = (re: RegExp): Promise<string> => t.waitScreen('t:0', re, 60_000);
  const keys = (k: string): void => t.keys('t:0', k);
  const held = async (label: string): Promise<string> => {
    const r = await rig.guard(['exec', '--no-wait', '--', MARK, rig.marker, label]);
    expect(r.code).toBe(75);
    return r.stdout.trim();
  };

  beforeEach(async () => {
    rig = new Rig(POLICY);
    await rig.enroll('bob', ['ops']);
    await rig.startDaemon();
    t = new Tmux({ ...rig.env, TERM: 'xterm-256color' });
    // wide enough that each scope text is one line
    t.run('new-session', '-d', '-s', 't', '-x', '250', '-y', '40', `cd ${ROOT} && node ${BIN} approve; sleep 300`);
    await screen(/key locked/);
  });
  afterEach(async () => {
    t.kill();
    await rig.cleanup();
  });

  test('"3 uses": the same command runs three times without a new request, the fourth is held again', async () => {
    const id = await held('three-me');
    await screen(new RegExp(id));
    keys('a');
    const menu = await screen(/choose the grant you sign/);
    expect(menu).toContain('1  once');
    expect(menu).toMatch(/2 {2}3 uses/);
    // the scope shown is the one signed and recorded
    const shown = /exactly `[^\n]*three-me` in [^\n]*, at most 3 uses within 15 min/.exec(menu)?.[0];
    expect(shown).toBeDefined();
    keys('2');
    await screen(new RegExp(`Passphrase of bob to approve ${id}`));
    t.type('t:0', PASS);
    keys('Enter');
    await screen(/APPROVED; the command may run/);

    const approval = (await rig.ledger()).find((r) => r.type === 'approval' && r.payload['requestId'] === id);
    expect((approval?.payload['grant'] as { uses: number; scope: string } | undefined)?.uses).toBe(3);
    expect((approval?.payload['grant'] as { scope: string }).scope).toBe(shown);

    for (let i = 0; i < 3; i++) expect((await rig.guard(['exec', '--', MARK, rig.marker, 'three-me'])).code).toBe(0);
    expect(rig.marks().map((l) => l.split(' ')[0])).toEqual(['three-me', 'three-me', 'three-me']);
    const fourth = await held('three-me');
    expect(fourth).not.toBe(id);
    expect(rig.marks()).toHaveLength(3);
  }, 240_000);

  test('a rule without max_uses / max_ttl offers no scope: "a" asks for the passphrase at once', async () => {
    const id = await held('approve-me');
    await screen(new RegExp(id));
    keys('a');
    const s = await screen(new RegExp(`Passphrase of bob to approve ${id}`));
    expect(s).not.toContain('choose the grant you sign');
    keys('Escape');
    await screen(/cancelled: nothing was sent/);
  }, 240_000);
});
