/**
 * Extending a grant from Slack (issue #23, decision 1091) with a real daemon, the official Slack
 * clients and the local Slack protocol server. Once a rule with `max_uses` / `max_ttl` is approved,
 * its message shows the grant and an "Extend" button offering the most the rule allows; the click
 * is checked like `guard extend` (the grant exactly as shown, one eligible approver, within bounds)
 * and recorded as `grant_extended` with the Slack identity. A forged value beyond the bounds, a
 * Slack user who is no approver, and the same click replayed after it applied are refused and
 * recorded (`approval_refused`, action `extend`); none extends anything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rig } from '../daemon/helpers.js';
import { SCOPED_POLICY, heldIn, runIn } from '../helpers/scoped-rule.js';
import type { FakeSlack } from './fake-slack.js';
import { until } from './helpers.js';
import { clickAs, ephemeralText, postOf, recordsOf as records, slackRig, type SlackBlock } from './slack-scope.js';

const CHANNEL = 'C0EXTEND';
const ALICE = { id: 'U0ALICE', username: 'alice', name: 'alice', team_id: 'T1' };
const MALLORY = { id: 'U0MALLORY', username: 'mallory', name: 'mallory', team_id: 'T1' };

let rig: Rig;
let slack: FakeSlack;

beforeAll(async () => {
  ({ rig, slack } = await slackRig(SCOPED_POLICY, CHANNEL, ALICE.id));
}, 120_000);

afterAll(async () => {
  await rig?.cleanup();
  await slack?.stop();
});

/** The Extend button of the request's latest message edit that shows one. */
async function extendButton(id: string): Promise<{ text: string; value: string }> {
  const edits = () =>
    slack
      .callsOf('chat.update')
      .map((c) => c.args['blocks'] as SlackBlock[])
      .filter((bs) => JSON.stringify(bs).includes(id))
      .map((bs) => bs.find((b) => b.accessory?.action_id === 'guard_extend'))
      .filter((b) => b !== undefined);
  await until(() => edits().length > 0, 'the Extend button');
  const b = edits().at(-1)!;
  return { text: b.text!.text, value: b.accessory!.value };
}

const ephemeral = (n: number): Promise<string> => ephemeralText(slack, n);

describe('grant extension from Slack (real daemon)', () => {
  it('extends an approved grant to what the rule allows; forged, unmapped and replayed clicks are refused and recorded', async () => {
    const id = await heldIn(rig, 'S-1', 'three-me');
    const { ts } = await postOf(slack, id);
    const click = (user: typeof ALICE, value: string) => clickAs(slack, user, CHANNEL, ts, 'guard_extend', value);
    clickAs(slack, ALICE, CHANNEL, ts, 'guard_approve', id);
    const button = await extendButton(id);
    expect(button.text).toMatch(/^\*Grant:\* 1 use left until \S+\. \*Extend\* to 3 uses until \S+ \(the most/);
    const [, fromUses, fromExpires, toUses, toExpires] = button.value.split(' ');
    expect([fromUses, toUses]).toEqual(['1', '3']);
    // the offer's expiry is max_ttl (1 h) from when it was made, never beyond
    expect(Date.parse(toExpires!) - Date.parse(fromExpires!)).toBeGreaterThan(0);
    expect(Date.parse(toExpires!)).toBeLessThanOrEqual(Date.now() + 3600_000);

    let seen = slack.callsOf('chat.postEphemeral').length;
    click(ALICE, [id, fromUses, fromExpires, 1000, toExpires].join(' '));
    expect(await ephemeral(++seen)).toBe('guard: at most 3 uses (policy max_uses)');
    click(ALICE, [id, fromUses, fromExpires, 3, new Date(Date.now() + 86_400_000).toISOString()].join(' '));
    expect(await ephemeral(++seen)).toBe('guard: the grant may last at most 3600 s from now (policy max_ttl)');
    click(MALLORY, button.value);
    expect(await ephemeral(++seen)).toBe('guard: mallory is not an enrolled approver');

    click(ALICE, button.value);
    expect(await ephemeral(++seen)).toBe(`guard: Grant of request ${id} extended.`);
    const recs = await rig.ledger((rs) => records(rs, id, 'grant_extended').length > 0);
    const extended = records(recs, id, 'grant_extended');
    expect(extended).toHaveLength(1);
    expect(extended[0]!.payload).toMatchObject({
      approver: 'alice',
      channel: 'slack',
      identity: ALICE.id,
      from: { usesLeft: 1, expiresAt: fromExpires },
      to: { usesLeft: 3, expiresAt: toExpires },
    });

    // the same click again: the grant is no longer as shown, nothing more is granted
    click(ALICE, button.value);
    expect(await ephemeral(++seen)).toMatch(/^guard: the grant changed since it was shown/);
    const after = await rig.ledger((rs) => records(rs, id, 'approval_refused').length >= 4);
    const refused = records(after, id, 'approval_refused').map((r) => r.payload);
    expect(refused.map((r) => [r['action'], r['channel'], r['code']])).toEqual([
      ['extend', 'slack', 'extend-refused'],
      ['extend', 'slack', 'extend-refused'],
      ['extend', 'slack', 'unknown-approver'],
      ['extend', 'slack', 'extend-refused'],
    ]);
    expect(records(after, id, 'grant_extended')).toHaveLength(1);

    // three uses, as extended; the fourth is held
    for (let i = 0; i < 3; i++) expect((await runIn(rig, 'S-1', 'three-me')).code).toBe(0);
    expect(rig.marks()).toHaveLength(3);
    expect((await runIn(rig, 'S-1', 'three-me')).code).toBe(75);
  }, 120_000);

  it('a rule without max_uses / max_ttl shows no Extend button, and a forged click is refused and recorded', async () => {
    const id = await heldIn(rig, 'S-2', 'approve-me');
    const { ts } = await postOf(slack, id);
    clickAs(slack, ALICE, CHANNEL, ts, 'guard_approve', id);
    await rig.ledger((rs) => records(rs, id, 'approval').length > 0);
    await until(
      () => slack.callsOf('chat.update').some((c) => JSON.stringify(c.args).includes(id)),
      'the approved message',
    );
    expect(JSON.stringify(slack.callsOf('chat.update'))).not.toMatch(new RegExp(`${id}[^"]*guard_extend`));
    const seen = slack.callsOf('chat.postEphemeral').length;
    const later = new Date(Date.now() + 60_000).toISOString();
    clickAs(slack, ALICE, CHANNEL, ts, 'guard_extend', `${id} 1 ${later} 2 ${later}`);
    expect(await ephemeral(seen + 1)).toMatch(/^guard: the grant changed since it was shown|no max_uses/);
    const recs = await rig.ledger((rs) => records(rs, id, 'approval_refused').length > 0);
    expect(records(recs, id, 'approval_refused')[0]!.payload).toMatchObject({
      action: 'extend',
      code: 'extend-refused',
    });
    expect(records(recs, id, 'grant_extended')).toHaveLength(0);
  }, 120_000);
});
