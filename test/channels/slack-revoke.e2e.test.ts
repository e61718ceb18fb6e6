/**
 * Revoking a grant from Slack (issue #23, decision 1094) with a real daemon, the official Slack
 * clients and the local Slack protocol server. An approved message whose grant is live shows a
 * "Revoke" button behind a confirmation dialog; a click by a Slack user mapped to an enrolled
 * approver revokes the grant (recorded as `grant_revoked` with the Slack identity) and the message
 * turns to Revoked; the next run is held again. A click by a Slack user who is no approver, and the
 * same click replayed after the revocation, are refused, recorded (`approval_refused`, action
 * `revoke`) and told to the clicker; neither changes anything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rig } from '../daemon/helpers.js';
import { SCOPED_POLICY, heldIn, runIn } from '../helpers/scoped-rule.js';
import type { FakeSlack } from './fake-slack.js';
import { until } from './helpers.js';
import { clickAs, ephemeralText, postOf, recordsOf as records, slackRig, type SlackBlock } from './slack-scope.js';

const CHANNEL = 'C0REVOKE';
const ALICE = { id: 'U0ALICE', username: 'alice', name: 'alice', team_id: 'T1' };
const BOB = { id: 'U0BOB', username: 'bob', name: 'bob', team_id: 'T1' };
const MALLORY = { id: 'U0MALLORY', username: 'mallory', name: 'mallory', team_id: 'T1' };

interface ButtonBlock {
  block_id?: string;
  elements?: { action_id?: string; value?: string; style?: string; confirm?: Record<string, { text: string }> }[];
}

let rig: Rig;
let slack: FakeSlack;

beforeAll(async () => {
  ({ rig, slack } = await slackRig(SCOPED_POLICY, CHANNEL, ALICE.id));
}, 120_000);

afterAll(async () => {
  await rig?.cleanup();
  await slack?.stop();
});

/** Every edit of the request's message, oldest first. */
const edits = (id: string): SlackBlock[][] =>
  slack
    .callsOf('chat.update')
    .map((c) => c.args['blocks'] as SlackBlock[])
    .filter((bs) => JSON.stringify(bs).includes(id));

const revokeButton = (blocks: SlackBlock[]) =>
  (blocks as ButtonBlock[]).flatMap((b) => b.elements ?? []).find((e) => e.action_id === 'guard_revoke');

const ephemeral = (n: number): Promise<string> => ephemeralText(slack, n);

describe('revoking a grant from Slack (real daemon)', () => {
  it('a mapped approver revokes a 3-use grant used once; the next run is held; unmapped and replayed clicks are refused and recorded', async () => {
    const id = await heldIn(rig, 'S-1', 'three-me');
    const { blocks, ts } = await postOf(slack, id);
    // a pending request offers no Revoke (Deny is there)
    expect(revokeButton(blocks)).toBeUndefined();
    const three = blocks.find((b) => b.accessory?.action_id === 'guard_approve_scope_1')!;
    expect(three.accessory!.text.text).toBe('Approve 3 uses');
    clickAs(slack, ALICE, CHANNEL, ts, 'guard_approve_scope_1', three.accessory!.value);
    await until(() => edits(id).some((bs) => revokeButton(bs) !== undefined), 'the Revoke button');
    const button = revokeButton(edits(id).find((bs) => revokeButton(bs) !== undefined)!)!;
    expect(button.value).toBe(id);
    expect(button.style).toBe('danger');
    expect(button.confirm?.['title']?.text).toBe('Revoke this grant?');
    expect(button.confirm?.['confirm']?.text).toBe('Revoke');

    expect((await runIn(rig, 'S-1', 'three-me')).code).toBe(0);
    expect(rig.marks()).toHaveLength(1);

    const click = (user: typeof ALICE) => clickAs(slack, user, CHANNEL, ts, 'guard_revoke', id);
    let seen = slack.callsOf('chat.postEphemeral').length;
    click(MALLORY);
    expect(await ephemeral(++seen)).toBe('guard: mallory is not an enrolled approver');
    const refusedFirst = await rig.ledger((rs) => records(rs, id, 'approval_refused').length > 0);
    expect(records(refusedFirst, id, 'approval_refused')[0]!.payload).toMatchObject({
      action: 'revoke',
      channel: 'slack',
      identity: MALLORY.id,
      verifiedBy: 'slack:T1',
      code: 'unknown-approver',
    });
    expect(records(refusedFirst, id, 'grant_revoked')).toHaveLength(0);

    click(ALICE);
    expect(await ephemeral(++seen)).toBe(`guard: Request ${id} revoked.`);
    const recs = await rig.ledger((rs) => records(rs, id, 'grant_revoked').length > 0);
    expect(records(recs, id, 'grant_revoked').map((r) => r.payload)).toEqual([
      {
        requestId: id,
        scope: 'grant',
        by: `alice (slack ${ALICE.id})`,
        reason: 'revoked on slack by alice',
        approver: 'alice',
        channel: 'slack',
        identity: ALICE.id,
        verifiedBy: 'slack:T1',
      },
    ]);
    // the message turns to Revoked, without the button
    await until(() => JSON.stringify(edits(id).at(-1)).includes('🚫 Revoked'), 'the Revoked message');
    expect(revokeButton(edits(id).at(-1)!)).toBeUndefined();

    // the grant's two remaining uses are gone: the next run is held for a new approval
    const next = await runIn(rig, 'S-1', 'three-me');
    expect(next.code).toBe(75);
    expect(/rq-[0-9a-f]{12}/.exec(next.stdout + next.stderr)![0]).not.toBe(id);
    expect(rig.marks()).toHaveLength(1);

    // the same click replayed: nothing left to revoke, refused and recorded, nothing changes
    click(ALICE);
    expect(await ephemeral(++seen)).toBe(`guard: request ${id} is revoked: nothing to revoke`);
    const after = await rig.ledger((rs) => records(rs, id, 'approval_refused').length >= 2);
    expect(records(after, id, 'approval_refused').map((r) => [r.payload['action'], r.payload['code']])).toEqual([
      ['revoke', 'unknown-approver'],
      ['revoke', 'nothing-to-revoke'],
    ]);
    expect(records(after, id, 'grant_revoked')).toHaveLength(1);
    expect((await runIn(rig, 'S-1', 'three-me')).code).toBe(75);
    expect(rig.marks()).toHaveLength(1);
  }, 120_000);

  it('any mapped approver may revoke, not only the one who approved', async () => {
    await rig.enroll('bob', ['dev'], 'alice', ['--slack-user-id', BOB.id]);
    const id = await heldIn(rig, 'S-2', 'twice-me');
    const { ts } = await postOf(slack, id);
    clickAs(slack, ALICE, CHANNEL, ts, 'guard_approve', id);
    await until(() => edits(id).some((bs) => revokeButton(bs) !== undefined), 'the Revoke button');
    const seen = slack.callsOf('chat.postEphemeral').length;
    clickAs(slack, BOB, CHANNEL, ts, 'guard_revoke', id);
    expect(await ephemeral(seen + 1)).toBe(`guard: Request ${id} revoked.`);
    const recs = await rig.ledger((rs) => records(rs, id, 'grant_revoked').length > 0);
    expect(records(recs, id, 'grant_revoked')[0]!.payload).toMatchObject({ approver: 'bob', identity: BOB.id });
    expect((await runIn(rig, 'S-2', 'twice-me')).code).toBe(75);
  }, 120_000);
});
