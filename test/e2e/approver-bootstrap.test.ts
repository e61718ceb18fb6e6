/**
 * Bootstrap and hand-written approvers: an approver record that did not come from an endorsed
 * enrollment (made elsewhere and copied into the registry, as an agent running as the registry's
 * user could) is refused when the registry loads, so it approves nothing; `guard doctor` and
 * `guard init` say loudly when no approver is enrolled. Built CLI, real daemon, real key files.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Rig } from '../daemon/helpers.js';

let rig: Rig;
beforeEach(() => {
  rig = new Rig();
});
afterEach(async () => {
  await rig.cleanup();
});

const home = (): string => rig.env['GUARD_HOME']!;

/** Make an approver record the way a hostile agent would: a bootstrap enrollment in a home of its own. */
async function handMade(name: string): Promise<string> {
  const scratch = join(rig.home, `scratch-${name}`);
  writeFileSync(rig.passFile(name), `correct horse ${name} battery staple\n`, { mode: 0o600 });
  const r = await rig.guard(
    ['approver', 'enroll', '--name', name, '--group', 'ops', '--passphrase-file', rig.passFile(name)],
    { env: { ...rig.env, GUARD_HOME: scratch } },
  );
  expect(r.code, r.stderr).toBe(0);
  return join(scratch, 'approvers', `${name}.json`);
}

describe('hand-written approver records', () => {
  it('a record copied into a registry that has an approver is refused; it approves nothing', async () => {
    await rig.startDaemon();
    await rig.enroll('alice', ['ops']);
    copyFileSync(await handMade('mallory'), join(home(), 'approvers', 'mallory.json'));
    const waiting = rig.exec('approve-me', ['--no-wait']);
    const out = await waiting.done;
    expect(out.code).toBe(75);
    const id = /rq-[0-9a-f]{12}/.exec(out.stdout)![0];
    const r = await rig.approve(id, 'mallory');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/approver registry .* is invalid: mallory/);
    const show = await rig.guard(['show', id, '--json']);
    expect((JSON.parse(show.stdout) as { view: { state: string } }).view.state).toBe('pending');
    expect(rig.marks()).toEqual([]);
  }, 240_000);

  it('the first approver needs no endorsement; later ones keep theirs and load', async () => {
    await rig.startDaemon();
    await rig.enroll('alice', ['ops']);
    await rig.enroll('bob', ['ops'], 'alice');
    const list = await rig.guard(['approver', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/bob/);
  }, 240_000);
});

describe('no approver enrolled', () => {
  it('`guard doctor` says so loudly, and stops once one is enrolled', async () => {
    await rig.startDaemon();
    mkdirSync(join(home(), 'approvers'), { recursive: true, mode: 0o700 });
    const before = await rig.guard(['doctor', '--json']);
    expect(before.stderr).toMatch(/NO APPROVER IS ENROLLED/);
    const checks = (JSON.parse(before.stdout) as { checks: { name: string; status: string }[] }).checks;
    expect(checks.find((c) => c.name === 'approvers')?.status).toBe('warn');
    await rig.enroll('alice', ['ops']);
    const after = await rig.guard(['doctor', '--json']);
    expect(after.stderr).not.toMatch(/NO APPROVER IS ENROLLED/);
  }, 240_000);
});
