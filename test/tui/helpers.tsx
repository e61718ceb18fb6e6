/**
 * The real App wired to the real daemon (started by the daemon rig, test/daemon/helpers.ts) and a
 * real approver key, rendered with ink-testing-library. Only the terminal is simulated.
 */
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { loadApprovers } from '../../src/approval/registry.js';
import { App } from '../../src/tui/app.js';
import { ApproverSession } from '../../src/tui/approver.js';
import { DaemonBackend } from '../../src/tui/backend.js';
import { DaemonLink } from '../../src/tui/link.js';
import { initialState } from '../../src/tui/model.js';
import { makeTheme } from '../../src/tui/theme.js';
import type { Rig } from '../daemon/helpers.js';

export function socketOf(rig: Rig): string {
  return join(rig.env['GUARD_HOME']!, 'run', 'guard.sock');
}

/** The approver's key session as the TUI opens it: the rig's key file, checked against its registry. */
export function approverSession(rig: Rig, name: string, windowMs: number, now = () => Date.now()): ApproverSession {
  return new ApproverSession({
    env: rig.env,
    name,
    windowMs,
    now,
    enrolled: () => loadApprovers(join(rig.env['GUARD_HOME']!, 'approvers')),
  });
}

export function mountApp(rig: Rig, opts: { approver: string; windowMs?: number; retryMs?: number }) {
  const now = () => Date.now();
  const session = approverSession(rig, opts.approver, opts.windowMs ?? 600_000, now);
  const link = new DaemonLink({
    socket: socketOf(rig),
    now,
    initialDelayMs: opts.retryMs ?? 100,
    maxDelayMs: opts.retryMs ?? 400,
  });
  const backend = new DaemonBackend(link, session, now);
  const initial = initialState({ approver: opts.approver, unlockWindowMs: opts.windowMs ?? 600_000, now: now() });
  const inst = render(<App backend={backend} initial={initial} theme={makeTheme(false)} now={now} tickMs={200} />);
  /** Wait until the frame matches (the UI is pushed by the daemon; no sleeps on the happy path). */
  const waitFrame = async (re: RegExp, ms = 15_000): Promise<string> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const f = inst.lastFrame() ?? '';
      if (re.test(f)) return f;
      if (Date.now() > deadline) throw new Error(`frame never matched ${re}:\n${f}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  /** Type like a human: one key per write, so each is parsed on its own. */
  const press = async (...keys: string[]): Promise<void> => {
    for (const k of keys) {
      inst.stdin.write(k);
      await new Promise((r) => setTimeout(r, 30));
    }
  };
  return { ...inst, waitFrame, press, backend };
}

export const ENTER = '\r';
export const ESC = '\u001b';
export const CTRL_C = '\u0003';
