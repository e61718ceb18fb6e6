/**
 * The scope menu in Slack (issue #23, decision 1089) with a real daemon, the official Slack clients
 * and the local Slack protocol server: for a rule with `max_uses` / `max_ttl` the message offers the
 * wider grants the rule allows, each button beside the exact scope text it grants; a click grants
 * exactly that (recorded with the text shown), and the daemon re-checks the choice against the
 * rule's bounds, so a forged button value naming more uses or a longer time, or any scope on a rule
 * without bounds, is refused, recorded and grants nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerRow, Rig } from '../daemon/helpers.js';
import { SCOPED_POLICY as POLICY, heldIn, runIn } from '../helpers/scoped-rule.js';
import type { FakeSlack } from './fake-slack.js';
import { until } from './helpers.js';
import { clickAs, postOf, shownText, slackRig } from './slack-scope.js';

const CHANNEL = 'C0SCOPE1';
const ALICE = { id: 'U0ALICE', username: 'alice', name: 'alice', team_id: 'T1' };

let rig: Rig;
let slack: FakeSlack;

beforeAll(async () => {
  ({ rig, slack } = await slackRig(POLICY, CHANNEL, ALICE.id));
}, 120_000);

afterAll(async () => {
  await rig?.cleanup();
  await slack?.stop();
});

const held = (session: string, ...args: string[]) => heldIn(rig, session, ...args);
const run = (session: string, ...args: string[]) => runIn(rig, session, ...args);

/** The request's Slack post: its blocks and message ts. */
const post = (id: string) => postOf(slack, id);
const click = (ts: string, actionId: string, value: string) => clickAs(slack, ALICE, CHANNEL, ts, actionId, value);

const records = (recs: LedgerRow[], id: string, type: string) =>
  recs.filter((r) => r.type === type && r.payload['requestId'] === id);

async function ephemerals(n: number): Promise<string[]> {
  await until(() => slack.callsOf('chat.postEphemeral').length >= n, `${n} ephemeral messages`);
  return slack.callsOf('chat.postEphemeral').map((c) => String(c.args['text']));
}

describe('scope menu in Slack (real daemon)', () => {
  it('"3 uses" grants exactly the text beside it: three runs without a new request, the fourth held', async () => {
    const id = await held('S-1', 'three-me');
    const { blocks, ts } = await post(id);
    const scoped = blocks.filter((b) => b.accessory?.action_id.startsWith('guard_approve_scope_') === true);
    expect(scoped.map((b) => b.accessory!.text.text)).toEqual([
      'Approve 3 uses',
      'Approve for 1 h',
      'Approve this agent session',
    ]);
    // the Approve button of the actions block stays "once"
    expect(JSON.stringify(blocks)).toContain('*Approve* grants once: exactly this command');
    const three = scoped[0]!;
    const shown = shownText(three);
    expect(shown).toMatch(/^exactly `.*three-me` in .* by \S+ \(agent claude-code\), at most 3 uses within 15 min$/);

    click(ts, three.accessory!.action_id, three.accessory!.value);
    const recs = await rig.ledger((rs) => records(rs, id, 'approval').length > 0);
    const approval = records(recs, id, 'approval')[0]!.payload;
    expect(approval).toMatchObject({ approver: 'alice', action: 'approve', channel: 'slack', identity: ALICE.id });
    expect(approval['grant']).toEqual({ uses: 3, ttlSeconds: 900, scope: shown });

    for (let i = 0; i < 3; i++) expect((await run('S-1', 'three-me')).code).toBe(0);
    expect(rig.marks()).toHaveLength(3);
    const fourth = await run('S-1', 'three-me');
    expect(fourth.code).toBe(75);
    expect(rig.marks()).toHaveLength(3);
  }, 120_000);

  it('"this agent session" covers another command of the same rule in the same session, not another session', async () => {
    const before = rig.marks().length;
    const id = await held('S-2', 'three-me', 'first');
    const { blocks, ts } = await post(id);
    const session = blocks.find((b) => b.accessory?.text.text === 'Approve this agent session')!;
    expect(shownText(session)).toMatch(
      /^any command matching rule t\.scoped in .* by \S+ \(agent claude-code\) in session S-2, at most 3 uses within 1 h$/,
    );
    click(ts, session.accessory!.action_id, session.accessory!.value);
    const recs = await rig.ledger((rs) => records(rs, id, 'approval').length > 0);
    expect(records(recs, id, 'approval')[0]!.payload['grant']).toEqual({
      uses: 3,
      ttlSeconds: 3600,
      session: 'S-2',
      scope: shownText(session),
    });
    expect((await run('S-2', 'three-me', 'other')).code).toBe(0);
    expect((await run('S-3', 'three-me', 'other')).code).toBe(75);
    expect(rig.marks()).toHaveLength(before + 1);
  }, 120_000);

  it('a forged button value naming more uses or a longer time is refused, recorded and grants nothing', async () => {
    const id = await held('S-4', 'three-me', 'forged');
    const { blocks, ts } = await post(id);
    const button = blocks.find((b) => b.accessory?.text.text === 'Approve 3 uses')!.accessory!;
    const seen = slack.callsOf('chat.postEphemeral').length;
    // one after the other: a second click while the first is in flight is answered "already approved"
    click(ts, button.action_id, `${id} u1000-t900`);
    await ephemerals(seen + 1);
    click(ts, button.action_id, `${id} u3-t999999`);
    const texts = (await ephemerals(seen + 2)).slice(seen);
    expect(texts).toContainEqual('guard: uses must be 1–3 (policy max_uses)');
    expect(texts).toContainEqual('guard: the grant may last at most 3600 s (policy max_ttl)');
    const recs = await rig.ledger((rs) => records(rs, id, 'approval_refused').length >= 2);
    const refused = records(recs, id, 'approval_refused').map((r) => r.payload);
    expect(refused).toHaveLength(2);
    for (const r of refused) expect(r).toMatchObject({ code: 'grant-refused', channel: 'slack', approver: 'alice' });
    expect(refused.map((r) => (r['grant'] as { uses: number }).uses)).toEqual([1000, 3]);
    expect(records(recs, id, 'approval')).toHaveLength(0);
    // still open: nothing was granted
    expect((await rig.guard(['show', id])).stdout).toMatch(/pending/);
  }, 120_000);

  it('a rule without max_uses / max_ttl shows no wider grant, and a forged one is refused and recorded', async () => {
    const id = await held('S-5', 'approve-me');
    const { blocks, ts } = await post(id);
    expect(blocks.some((b) => b.accessory !== undefined)).toBe(false);
    expect(JSON.stringify(blocks)).not.toContain('wider grant');
    const seen = slack.callsOf('chat.postEphemeral').length;
    click(ts, 'guard_approve_scope_1', `${id} u2-t60`);
    expect((await ephemerals(seen + 1)).at(-1)).toBe(
      'guard: the policy allows no scoped grant for this request (no max_uses / max_ttl)',
    );
    const recs = await rig.ledger((rs) => records(rs, id, 'approval_refused').length > 0);
    expect(records(recs, id, 'approval_refused')[0]!.payload).toMatchObject({ code: 'grant-refused' });
    expect(records(recs, id, 'approval')).toHaveLength(0);
    // the plain Approve still approves once
    click(ts, 'guard_approve', id);
    const after = await rig.ledger((rs) => records(rs, id, 'approval').length > 0);
    expect(records(after, id, 'approval')[0]!.payload['grant']).toBeUndefined();
  }, 120_000);
});
