/**
 * The real Gemini CLI against guard: the shared cases (cases.ts), and a CI-like environment
 * (GITHUB_SHA set), where Gemini strips every variable not on its allow-list from hooks and
 * commands: the hook and the rewrite carry GUARD_HOME themselves, so the user's policy and ledger
 * still apply (an allowed command is passed, decision 0816: its decision is recorded by the hook).
 */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { clientSuite, recordsOf } from './cases.js';
import { marks, runClient } from './harness.js';

clientSuite('gemini', (c) => {
  it('in CI (GITHUB_SHA set) the user deny rule still holds, and allowed commands reach the same ledger', async () => {
    const env = { ...c().env, GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567', CI: 'true' };
    const denied = c().marker('ci-denied');
    await runClient('gemini', env, c().s, `${join(c().s.bin, 'denied-mark')} ${denied}`);
    expect(marks(denied)).toEqual([]);
    const allowed = c().marker('ci-allowed');
    const r = await runClient('gemini', env, c().s, `${join(c().s.bin, 'allowed-mark')} ${allowed}`);
    expect(r.code, r.stderr).toBe(0);
    expect(marks(allowed)).toEqual(['allowed-mark 1']);
    const all = await c().records();
    expect(recordsOf(all, denied).find((x) => x.type === 'decision')?.payload['effect']).toBe('deny');
    expect(recordsOf(all, allowed).find((x) => x.type === 'decision')?.payload['effect']).toBe('allow');
  });
});
