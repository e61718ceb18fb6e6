/** The test policy plus one rule that allows scoped grants (3 uses, 1 h): the scope menu's tests share it. */
import { MARK, TEST_POLICY, type Rig } from '../daemon/helpers.js';

export const SCOPED_POLICY = `${TEST_POLICY}  - id: t.scoped
    description: Test rule that allows scoped grants
    effect: approve
    risk: medium
    match: { program: mark, any_arg: [three-me] }
    approval: { max_uses: 3, max_ttl: 1h }
`;

/** `guard exec --no-wait` of the marker program as agent claude-code in an agent session: 0 ran, 75 held. */
export const runIn = (rig: Rig, session: string, ...args: string[]) =>
  rig.guard(['exec', '--no-wait', '--', MARK, rig.marker, ...args], {
    env: { ...rig.env, GUARD_AGENT: 'claude-code', GUARD_AGENT_SESSION: session },
  });

/** A command held for approval in an agent session (it exits 75 and leaves the request open); its id. */
export async function heldIn(rig: Rig, session: string, ...args: string[]): Promise<string> {
  const r = await runIn(rig, session, ...args);
  if (r.code !== 75) throw new Error(`expected the command to be held (75), got ${r.code}: ${r.stderr}`);
  return /rq-[0-9a-f]{12}/.exec(r.stdout + r.stderr)![0];
}
