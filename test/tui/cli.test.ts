/** `guard tui` / `guard approve` without an id: the refusals that come before any UI (built CLI). */
import { afterEach, beforeEach, expect, test } from 'vitest';
import { Rig } from '../daemon/helpers.js';

let rig: Rig;
beforeEach(() => {
  rig = new Rig();
});
afterEach(async () => {
  await rig.cleanup();
});

test.each([['tui'], ['approve']])(
  'guard %s without a terminal says how to decide from a script (exit 64)',
  async (cmd) => {
    const r = await rig.guard([cmd]);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/the approver UI needs a terminal/);
    expect(r.stderr).toMatch(/guard approve ID --passphrase-fd N/);
  },
);

test('refuses inside an AI agent session', async () => {
  const r = await rig.guard(['tui'], { env: { ...rig.env, CLAUDECODE: '1' } });
  expect(r.code).toBe(64);
  expect(r.stderr).toMatch(/refusing to open the approver UI inside an AI agent session \(CLAUDECODE is set\)/);
});

test.each([
  ['9h', /longer than 8h/],
  ['soon', /cannot read "soon" as a duration/],
  ['-5m', /cannot read|must be a positive/],
])('--unlock-window %s is refused', async (value, re) => {
  const r = await rig.guard(['tui', '--unlock-window', value]);
  expect(r.code).toBe(64);
  expect(r.stderr).toMatch(re);
});

test('guard approve ID still decides without the UI (the id branch is untouched)', async () => {
  const r = await rig.guard(['approve', 'rq-000000000000', '--as', 'bob']);
  expect(r.stderr).not.toMatch(/needs a terminal/);
  expect(r.code).not.toBe(0);
});

test('guard approve with --passphrase-file but no id: the id is missing (not the UI)', async () => {
  const r = await rig.guard(['approve', '--passphrase-file', '/dev/null']);
  expect(r.code).toBe(64);
  expect(r.stderr).toMatch(/--passphrase-file needs a request id/);
});
