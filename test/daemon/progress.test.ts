/**
 * The start-up progress rule (src/daemon/progress.ts): a starting daemon is given up on only when
 * it neither reports a step nor uses CPU for the stall window, or burns the CPU cap. The clock and
 * the CPU reading are injected, so the rule is checked without waiting.
 */
import { describe, expect, it } from 'vitest';
import { cpuTimeMs, watchProgress } from '../../src/daemon/progress.js';

function rig() {
  const state = { now: 0, cpu: 0 as number | undefined };
  const p = watchProgress(1234, { stallMs: 30_000, cpuMaxMs: 60_000, now: () => state.now, cpu: () => state.cpu });
  return { state, p };
}

describe('start-up progress', () => {
  it('a slow daemon that keeps using CPU is never stuck, however long the wall clock runs', () => {
    const { state, p } = rig();
    for (let i = 1; i <= 100; i++) {
      state.now = i * 29_000; // 48 minutes of wall clock in all
      state.cpu = i * 10; // 10 ms of CPU per 29 s: a very busy machine
      expect(p.stuck()).toBeUndefined();
    }
  });

  it('reported steps count as progress even when the CPU reading does not move', () => {
    const { state, p } = rig();
    state.cpu = undefined; // no /proc (macOS): steps only
    for (let i = 1; i <= 10; i++) {
      state.now = i * 20_000;
      p.step(`s${i}`);
      expect(p.stuck()).toBeUndefined();
    }
    expect(p.lastStep).toBe('s10');
  });

  it('no step and no CPU for the stall window: stuck, naming the last step', () => {
    const { state, p } = rig();
    p.step('ledger');
    state.now = 29_999;
    expect(p.stuck()).toBeUndefined();
    state.now = 30_000;
    expect(p.stuck()).toMatch(/no progress for 30 s \(last step: ledger\)/);
  });

  it('spinning past the CPU cap is stuck even though the CPU moves', () => {
    const { state, p } = rig();
    state.now = 1000;
    state.cpu = 60_000;
    expect(p.stuck()).toMatch(/used 60 s of CPU without becoming ready/);
  });

  it('reads this process CPU time from /proc', () => {
    const ms = cpuTimeMs(process.pid);
    expect(ms).toBeGreaterThan(0);
    expect(cpuTimeMs(2 ** 30)).toBeUndefined();
  });
});
