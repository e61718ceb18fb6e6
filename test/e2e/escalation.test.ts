/**
 * Policy `escalate`: a request held by a rule with `escalate: { after: 1s, to: oncall }`. Before it
 * escalates an oncall-only approver is refused; once the waiting `guard exec` says it escalated (the
 * daemon announces only what is on record), the same approver's signed approval counts and the
 * command runs.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Rig, TEST_POLICY } from '../daemon/helpers.js';

const POLICY = `${TEST_POLICY}  - id: t.escalate
    description: Test rule that escalates to oncall
    effect: approve
    match: { program: mark, any_arg: [escalate-me] }
    approval: { groups: [ops], timeout: 120s, escalate: { after: 1s, to: oncall } }
`;

let rig: Rig;
beforeEach(async () => {
  rig = new Rig(POLICY);
  await rig.startDaemon();
  await rig.enroll('alice', ['ops']);
  await rig.enroll('dave', ['oncall'], 'alice');
});
afterEach(() => rig.cleanup());

describe('escalation', () => {
  it('lets the escalation group approve only after request_escalated is on record', async () => {
    const p = rig.exec('escalate-me');
    const [, id] = await p.waitFor(/request (rq-[0-9a-f]{12}) is waiting/);
    // dave (oncall only) tries at once: this races the 1 s escalation, so the ledger order decides
    // what must have happened — refused before request_escalated, counted only after it
    const early = await rig.approve(id!, 'dave');
    await p.waitFor(/escalated to oncall; still waiting/);
    const records = await rig.ledger();
    const escalated = records.find((r) => r.type === 'request_escalated');
    expect(escalated?.payload).toEqual({ requestId: id, to: 'oncall', afterSeconds: 1 });
    const refused = records.find((r) => r.type === 'approval_refused' && r.payload['approver'] === 'dave');
    if (early.code !== 0) {
      expect(early.stderr).toMatch(/not in group ops/);
      expect(refused!.seq).toBeLessThan(escalated!.seq);
      expect(records.some((r) => r.type === 'request_reminder' && r.payload['requestId'] === id)).toBe(true);
      expect(rig.marks()).toEqual([]);
      expect((await rig.approve(id!, 'dave')).code).toBe(0);
    } else {
      expect(refused).toBeUndefined();
    }
    expect((await p.done).code).toBe(0);
    expect(rig.marks()).toHaveLength(1);
    const approval = (await rig.ledger()).find((r) => r.type === 'approval' && r.payload['approver'] === 'dave');
    expect(approval!.seq).toBeGreaterThan(escalated!.seq);
  });

  it('tells `guard wait` when the request escalates, and the escalated approval ends the wait', async () => {
    const id = (await rig.exec('escalate-me', ['--no-wait']).done).stdout.trim();
    const w = rig.spawnGuard(['wait', id]);
    await w.waitFor(/escalated to oncall; still waiting/);
    expect((await rig.approve(id, 'dave')).code).toBe(0);
    expect((await w.done).code).toBe(0);
  });
});
