/**
 * Scoped grants end to end: a 30-minute session grant, signed with its exact scope text, covers
 * three commands of the same rule in the same agent session and refuses a fourth outside its scope
 * (another session, another rule); a grant beyond the policy's max_uses is refused and recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARK, Rig, TEST_POLICY } from '../daemon/helpers.js';

const POLICY = `${TEST_POLICY}  - id: t.session
    description: Test rule that allows session grants
    effect: approve
    match: { program: mark, any_arg: [session-me] }
    approval: { max_uses: 5, max_ttl: 30m }
`;

const rig = new Rig(POLICY);
beforeAll(async () => {
  await rig.startDaemon();
  await rig.enroll('alice', ['ops']);
});
afterAll(() => rig.cleanup());

const agentEnv = (session: string) => ({ ...rig.env, GUARD_AGENT: 'claude-code', GUARD_AGENT_SESSION: session });
const run = (session: string, args: string[], flags: string[] = []) =>
  rig.spawnGuard(['exec', ...flags, '--', MARK, rig.marker, ...args], { env: agentEnv(session) });
const approve = (id: string, extra: string[]) => rig.approve(id, 'alice', extra);

describe('session grants', () => {
  it('a 30-minute session grant is used by three commands and refused for a fourth outside its scope', async () => {
    const first = run('S-1', ['session-me', 'a']);
    const [, id] = await first.waitFor(/request (rq-[0-9a-f]{12}) is waiting/);

    const tooMany = await approve(id!, ['--this-session', '--uses', '9', '--for', '30m']);
    expect(tooMany.code).not.toBe(0);
    expect(tooMany.stderr).toMatch(/uses must be 1–5 \(policy max_uses\)/);
    const tooLong = await approve(id!, ['--this-session', '--uses', '3', '--for', '2h']);
    expect(tooLong.code).not.toBe(0);
    expect(tooLong.stderr).toMatch(/at most 1800 s \(policy max_ttl\)/);

    const ok = await approve(id!, ['--this-session', '--uses', '3', '--for', '30m']);
    expect(ok.code).toBe(0);
    const scope = /this approval grants: (.*)/.exec(ok.stderr)![1]!;
    expect(scope).toMatch(
      /^any command matching rule t\.session in .* by \S+ \(agent claude-code\) in session S-1, at most 3 uses within 30 min$/,
    );
    expect((await first.done).code).toBe(0); // use 1: the approved command itself

    // uses 2 and 3: other commands of the same rule, same session, run at once
    expect((await run('S-1', ['session-me', 'b']).done).code).toBe(0);
    expect((await run('S-1', ['session-me', 'c']).done).code).toBe(0);
    expect(rig.marks()).toHaveLength(3);

    // outside the scope: another session, another rule — held, nothing runs
    for (const [session, args] of [
      ['S-2', ['session-me', 'd']],
      ['S-1', ['approve-me', 'e']],
    ] as const) {
      const r = await run(session, [...args], ['--no-wait']).done;
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/is pending approval/);
    }
    // used up: a fourth use in scope is held as well
    const fourth = await run('S-1', ['session-me', 'f'], ['--no-wait']).done;
    expect(fourth.stderr).toMatch(/is pending approval/);
    expect(rig.marks()).toHaveLength(3);

    const ledger = await rig.ledger();
    const approval = ledger.find((x) => x.type === 'approval' && x.payload['requestId'] === id);
    expect(approval?.payload['grant']).toMatchObject({ uses: 3, ttlSeconds: 1800, session: 'S-1', scope });
    const refused = ledger.filter((x) => x.type === 'approval_refused' && x.payload['code'] === 'grant-refused');
    expect(refused).toHaveLength(2);
    const starts = ledger.filter((x) => x.type === 'exec_start' && x.payload['grant'] === id);
    expect(starts).toHaveLength(3);
    expect(starts.filter((x) => x.payload['scope'] === scope)).toHaveLength(2);
  });

  it('refuses a scoped grant where the policy sets no bounds', async () => {
    const p = run('S-3', ['approve-me', 'g']);
    const [, id] = await p.waitFor(/request (rq-[0-9a-f]{12}) is waiting/);
    const r = await approve(id!, ['--this-session', '--for', '5m']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/allows no scoped grant/);
    await rig.guard(['revoke', id!]);
    expect((await p.done).code).not.toBe(0);
  });
});
