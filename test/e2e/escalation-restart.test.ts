/**
 * Escalation survives a daemon restart: the escalation time is recomputed from the stored request
 * (created at + `escalate.after`), so a request whose escalation fell due while the daemon was down
 * escalates when it comes back — once, with its reminder — and the escalation group may decide it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Rig, TEST_POLICY } from '../daemon/helpers.js';

const POLICY = `${TEST_POLICY}  - id: t.escalate
    description: Test rule that escalates to oncall
    effect: approve
    match: { program: mark, any_arg: [escalate-me] }
    approval: { groups: [ops], timeout: 120s, escalate: { after: 5s, to: oncall } }
`;

let rig: Rig;
beforeEach(() => {
  rig = new Rig(POLICY);
});
afterEach(() => rig.cleanup());

interface Shown {
  view: { state: string; createdAt: string; escalatedTo?: string };
}
const show = async (id: string): Promise<Shown> =>
  JSON.parse((await rig.guard(['show', id, '--json'])).stdout) as Shown;

describe('escalation across a restart', () => {
  it('a request whose escalation fell due while the daemon was down escalates once when it is back', async () => {
    const d = await rig.startDaemon();
    await rig.enroll('alice', ['ops']);
    await rig.enroll('dave', ['oncall'], 'alice');
    const id = (await rig.exec('escalate-me', ['--no-wait']).done).stdout.trim();
    const before = await show(id);
    expect(before.view.escalatedTo).toBeUndefined();
    d.kill('SIGTERM');
    await new Promise((r) => d.on('exit', r));
    // the escalation falls due while the daemon is down
    const due = Date.parse(before.view.createdAt) + 5000;
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now() + 1)));

    await rig.startDaemon();
    const escalated = (recs: { type: string; payload: Record<string, unknown> }[]): boolean =>
      recs.some((r) => r.type === 'request_escalated' && r.payload['requestId'] === id);
    expect(escalated(await rig.ledger(escalated))).toBe(true);
    expect((await show(id)).view).toMatchObject({ state: 'pending', escalatedTo: 'oncall' });
    const w = rig.spawnGuard(['wait', id]);
    expect((await rig.approve(id, 'dave')).code).toBe(0);
    expect((await w.done).code).toBe(0);
    const records = await rig.ledger();
    expect(records.filter((r) => r.type === 'request_escalated' && r.payload['requestId'] === id)).toHaveLength(1);
    expect(records.filter((r) => r.type === 'request_reminder' && r.payload['requestId'] === id)).toHaveLength(1);
  });
});
