/**
 * Keys typed into the approver's terminal by another process: with the TUI unlocked (a low-risk
 * approval just opened the unlock window), `g` and then `a` sent as separate keystrokes with
 * `tmux send-keys` do not approve a high-risk request — it asks for the passphrase again, which
 * the typing process does not have. Real tmux, the built CLI, a real daemon.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { BIN, MARK, ROOT, Rig, TEST_POLICY } from '../daemon/helpers.js';

const HAS_TMUX = spawnSync('tmux', ['-V']).status === 0;
const PASS = 'correct horse bob battery staple';
const POLICY = `${TEST_POLICY}  - id: t.low
    description: Test rule, low risk
    effect: approve
    risk: low
    match: { program: mark, any_arg: [low-me] }
`;

describe.skipIf(!HAS_TMUX)('a fresh passphrase for high-risk approvals (tmux)', () => {
  let rig: Rig;
  const socket = `gbd-fresh-${process.pid}`;
  const tmux = (...args: string[]): string => {
    const r = spawnSync('tmux', ['-L', socket, ...args], {
      env: { ...rig.env, TERM: 'xterm-256color' },
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  /** The screen once it matches (tmux has no change event: re-read it until it does). */
  const screen = async (re: RegExp): Promise<string> => {
    for (let tries = 0; ; tries++) {
      const s = tmux('capture-pane', '-p', '-t', 't:0');
      if (re.test(s)) return s;
      if (tries > 600) throw new Error(`screen never matched ${re}:\n${s}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const agent = (label: string): string =>
    `cd ${ROOT} && node ${BIN} exec -- ${MARK} ${rig.marker} ${label}; sleep 300`;

  beforeEach(async () => {
    rig = new Rig(POLICY);
    await rig.enroll('bob', ['ops']);
    await rig.startDaemon();
  });
  afterEach(async () => {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
    await rig.cleanup();
  });

  test('with the key unlocked, "g" then "a" as separate keystrokes do not approve a high-risk request', async () => {
    tmux('new-session', '-d', '-s', 't', '-x', '100', '-y', '30', `cd ${ROOT} && node ${BIN} approve; sleep 300`);
    await screen(/key locked/);
    // a low-risk approval with the passphrase opens the unlock window
    tmux('new-window', '-d', '-t', 't:1', agent('low-me'));
    await screen(/› (LOW|MED) /); // below high: the unlock window covers it
    tmux('send-keys', '-t', 't:0', 'a');
    await screen(/Passphrase of bob to approve/);
    tmux('send-keys', '-t', 't:0', '-l', PASS);
    tmux('send-keys', '-t', 't:0', 'Enter');
    await screen(/APPROVED; the command may run/);
    // another process types into the unlocked TUI, one key at a time
    tmux('new-window', '-d', '-t', 't:2', agent('approve-me'));
    await screen(/ HIGH /);
    tmux('send-keys', '-t', 't:0', 'g'); // to the top: the riskiest request
    tmux('send-keys', '-t', 't:0', 'a');
    await screen(/Passphrase of bob to approve rq-[0-9a-f]{12}/);
    tmux('send-keys', '-t', 't:0', 'Escape');
    await screen(/cancelled: nothing was sent/);
    const listed = await rig.guard(['requests', '--json']);
    const states = (JSON.parse(listed.stdout) as { requests: { view: { state: string; risk: string } }[] }).requests
      .filter((d) => d.view.risk === 'high')
      .map((d) => d.view.state);
    expect(states).toEqual(['pending']);
    expect(rig.marks().map((l) => l.split(' ')[0])).toEqual(['low-me']);
  }, 240_000);
});
