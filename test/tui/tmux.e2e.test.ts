/**
 * End to end in a real terminal: tmux (80×24) runs `guard approve` (the TUI) while an agent-side
 * `guard exec` waits in another window. Keys go in with `tmux send-keys`, the screen comes back with
 * `tmux capture-pane -p`. A marker file proves whether the command ran; the ledger names the approver.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { BIN, MARK, ROOT, Rig } from '../daemon/helpers.js';
import { HAS_TMUX, PASS, Tmux, waitFile } from './tmux.js';

describe.skipIf(!HAS_TMUX)('guard approve in a real terminal (tmux, 80×24)', () => {
  let rig: Rig;
  let tmux: Tmux;
  beforeEach(async () => {
    rig = new Rig();
    tmux = new Tmux({ ...rig.env, TERM: 'xterm-256color' });
    await rig.enroll('bob', ['ops']);
    await rig.startDaemon();
  });
  afterEach(async () => {
    tmux.kill();
    await rig.cleanup();
  });

  const agent = (tag: string) =>
    `cd ${ROOT} && node ${BIN} exec -- ${MARK} ${rig.marker} approve-me; echo "exit=$?" > ${join(rig.home, `${tag}.out`)}; sleep 300`;

  async function ledgerApprovals(): Promise<Record<string, unknown>[]> {
    const r = spawnSync(process.execPath, [BIN, 'ledger', 'show', '--json'], { env: rig.env, encoding: 'utf8' });
    expect(r.status).toBe(0);
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; payload: Record<string, unknown> })
      .filter((e) => e.type === 'approval')
      .map((e) => e.payload);
  }

  test('select, read, approve with the passphrase, deny with a reason, Esc, Ctrl-C', async () => {
    const tui = 't:0';
    tmux.session(`cd ${ROOT} && node ${BIN} approve; echo "tui=$?" > ${join(rig.home, 'tui.out')}; sleep 300`);
    expect(tmux.run('display-message', '-p', '-t', tui, '#{window_width}x#{window_height}').trim()).toBe('80x24');
    await tmux.waitScreen(tui, /^guard · requests · bob · key locked +0 open$/m);
    expect(tmux.screen(tui)).toContain('No requests waiting for approval.');

    // 1. an agent's command needs approval: it appears without any key press (pushed)
    tmux.run('new-window', '-d', '-t', 't:1', agent('exec1'));
    // the row's command column may be cut at 80 columns before `mark` (long checkout paths);
    // the detail pane below it shows the whole command
    const listed = await tmux.waitScreen(tui, /› HIGH [\s\S]*approve-me/);
    const id1 = /(rq-[0-9a-f]{12}) {2}PENDING/.exec(listed)?.[1];
    expect(id1).toBeDefined();

    // 2. read the details, back out with Esc
    tmux.keys(tui, 'Enter');
    const detail = await tmux.waitScreen(tui, /Esc back/);
    expect(detail).toContain('t.approve (approve) Test rule that needs one approval');
    // a long checkout path may wrap at the space between arguments: compare without whitespace
    expect(detail.replace(/\s+/g, '')).toContain(`${MARK}${rig.marker}approve-me`);
    tmux.keys(tui, 'Escape');
    await tmux.waitScreen(tui, /RISK LEFT/);

    // 3. approve: the passphrase is asked, masked, and the signed approval lets the command run
    tmux.keys(tui, 'a');
    await tmux.waitScreen(tui, new RegExp(`Passphrase of bob to approve ${id1} \\(unlocks for 10m\\):`));
    tmux.type(tui, PASS);
    const masked = await tmux.waitScreen(tui, /\(unlocks for 10m\): \(hidden\)/);
    expect(masked).not.toContain('horse');
    tmux.keys(tui, 'Enter');
    await tmux.waitScreen(tui, /APPROVED; the command may run/);
    expect(await waitFile(join(rig.home, 'exec1.out'), /exit=\d+/)).toBe('exit=0\n');
    expect(rig.marks()).toHaveLength(1);

    // 4. a second request: deny it with a reason (the key is still unlocked: no prompt)
    tmux.run('new-window', '-d', '-t', 't:2', agent('exec2'));
    await tmux.waitScreen(tui, /1 open/);
    tmux.keys(tui, 'g');
    const second = await tmux.waitScreen(tui, /› HIGH \d+[smh] +0\/1 /);
    const id2 = /(rq-[0-9a-f]{12}) {2}PENDING/.exec(second)?.[1];
    expect(id2).toBeDefined();
    expect(id2).not.toBe(id1);
    tmux.keys(tui, 'd');
    await tmux.waitScreen(tui, /reason \(required\):/);
    tmux.keys(tui, 'Enter');
    await tmux.waitScreen(tui, /a reason is required to deny/);
    tmux.type(tui, 'touches production');
    tmux.keys(tui, 'Enter');
    await tmux.waitScreen(tui, /DENIED; the requester gets your reason/);
    expect(await waitFile(join(rig.home, 'exec2.out'), /exit=\d+/)).toBe('exit=76\n');
    expect(rig.marks()).toHaveLength(1);

    // 5. with the key unlocked, an "a" that comes in a paste is not an approval
    tmux.run('new-window', '-d', '-t', 't:3', agent('exec3'));
    await tmux.waitScreen(tui, /1 open/);
    tmux.type(tui, 'ga');
    await tmux.waitScreen(tui, /not approved: "a" came with other keys/);
    expect(tmux.screen(tui)).toMatch(/1 open/);
    // 6. Esc cancels a half-typed deny: nothing is sent, the request stays pending
    tmux.keys(tui, 'g', 'd');
    await tmux.waitScreen(tui, /reason \(required\):/);
    tmux.type(tui, 'maybe');
    tmux.keys(tui, 'Escape');
    await tmux.waitScreen(tui, /cancelled: nothing was sent/);
    expect(tmux.screen(tui)).toMatch(/1 open/);

    // 7. Ctrl-C quits cleanly
    tmux.keys(tui, 'C-c');
    expect(await waitFile(join(rig.home, 'tui.out'), /tui=\d+/)).toBe('tui=0\n');
    expect(existsSync(join(rig.home, 'exec3.out'))).toBe(false);
    expect(rig.marks()).toHaveLength(1);

    const votes = await ledgerApprovals();
    expect(votes).toEqual([
      expect.objectContaining({ requestId: id1, approver: 'bob', action: 'approve', channel: 'tui' }),
      expect.objectContaining({ requestId: id2, approver: 'bob', action: 'deny', reason: 'touches production' }),
    ]);
  });

  test('NO_COLOR: no colour escapes reach the terminal (while the same screen without it is coloured)', async () => {
    // SGR colour parameters: 30-37, 40-47, 90-97, 256-colour 38;5;n / 48;5;n
    const COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*(3[0-7]|4[0-7]|9[0-7]|38;5;\\d+|48;5;\\d+)m`);
    tmux.session(`cd ${ROOT} && NO_COLOR=1 node ${BIN} tui; sleep 300`);
    tmux.run('new-window', '-d', '-t', 't:1', `cd ${ROOT} && node ${BIN} tui; sleep 300`);
    tmux.run('new-window', '-d', '-t', 't:2', agent('exec1'));
    for (const w of ['t:0', 't:1']) await tmux.waitScreen(w, /› HIGH /);
    expect(tmux.run('capture-pane', '-p', '-e', '-t', 't:0')).not.toMatch(COLOUR);
    expect(tmux.run('capture-pane', '-p', '-e', '-t', 't:1')).toMatch(COLOUR);
    tmux.keys('t:0', 'q');
  });

  test('a missing approver key is refused before the UI opens', async () => {
    const out = join(rig.home, 'rc.out');
    tmux.session(`cd ${ROOT} && node ${BIN} tui --as nobody; echo "rc=$?" > ${out}; sleep 300`);
    expect(await waitFile(out, /rc=\d+/)).toBe('rc=64\n');
    expect(tmux.screen('t:0')).toMatch(/no approver key for "nobody"/);
  });
});
