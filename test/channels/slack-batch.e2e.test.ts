/**
 * Batch review of one agent session in Slack (issue #23, decision 1114) with a real daemon, the
 * official Slack clients and the local Slack protocol server. A session with two or more open
 * requests gets one session message whose "Approve all N" / "Deny all N" buttons name the exact set
 * shown (ids and view hashes); a click records one ordinary channel vote per request, with the
 * Slack identity and the batch reason. A request of another session, or one that arrived after the
 * message's value was taken, is not decided; a changed view decides nothing; an unmapped Slack user
 * is refused and recorded per request as a single click would be; Deny all takes one reason; a
 * set too long for a button value is named by a digest the channel keeps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_POLICY, type LedgerRow, type Rig } from '../daemon/helpers.js';
import { stateOf } from '../helpers/batch-review.js';
import { heldIn } from '../helpers/scoped-rule.js';
import type { FakeSlack } from './fake-slack.js';
import { until } from './helpers.js';
import { clickAs, ephemeralText, postOf, recordsOf, slackRig } from './slack-scope.js';

const CHANNEL = 'C0BATCH';
const ALICE = { id: 'U0ALICE', username: 'alice', name: 'alice', team_id: 'T1' };
const MALLORY = { id: 'U0MALLORY', username: 'mallory', name: 'mallory', team_id: 'T1' };

interface Element {
  action_id?: string;
  value?: string;
  text?: { text: string };
}
interface Block {
  type: string;
  text?: { text: string };
  elements?: Element[];
}

let rig: Rig;
let slack: FakeSlack;

beforeAll(async () => {
  ({ rig, slack } = await slackRig(TEST_POLICY, CHANNEL, ALICE.id));
}, 120_000);

afterAll(async () => {
  await rig?.cleanup();
  await slack?.stop();
});

/** Every post and edit of agent session `session`'s message, oldest first. */
const sessionMessages = (session: string): Block[][] =>
  slack.calls
    .filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update')
    .map((c) => c.args['blocks'] as Block[] | undefined)
    .filter(
      (bs): bs is Block[] =>
        bs?.[0]?.text?.text.toLowerCase().includes(`agent session ${session.slice(0, 20).toLowerCase()}`) === true,
    );

const buttons = (blocks: Block[]): Element[] => blocks.flatMap((b) => b.elements ?? []);

/** The session message's last version once a button reads `label`; its buttons. */
async function sessionButtons(session: string, label: string): Promise<Element[]> {
  const match = () =>
    sessionMessages(session)
      .filter((bs) => buttons(bs).some((e) => e.text?.text === label))
      .at(-1);
  await until(() => match() !== undefined, `the session message of ${session} with "${label}"`, 60_000);
  return buttons(match()!);
}

const approvalsOf = (recs: LedgerRow[], ids: string[]) =>
  recs.filter((r) => r.type === 'approval' && ids.includes(r.payload['requestId'] as string));

/** A modal submitted by alice with `text` in its one input. */
const submit = (view: Record<string, unknown>, text: string) =>
  slack.sendInteractive({
    type: 'view_submission',
    team: { id: 'T1', domain: 'acme' },
    user: ALICE,
    api_app_id: 'A1',
    view: {
      ...view,
      state: { values: { guard_text: { guard_text_input: { type: 'plain_text_input', value: text } } } },
    },
  });

const click = (user: typeof ALICE, actionId: string, value: string) =>
  clickAs(slack, user, CHANNEL, '1.1', actionId, value);

describe('batch review of an agent session in Slack (real daemon)', () => {
  it('Approve all: one vote per listed request with the Slack identity and batch reason; nothing else decided', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await heldIn(rig, 'B-1', 'approve-me', `n${i}`));
    const other = await heldIn(rig, 'B-2', 'approve-me', 'other');
    await postOf(slack, other);
    const shown = await sessionButtons('B-1', 'Approve all 3');
    const value = shown.find((e) => e.action_id === 'guard_batch_approve')!.value!;
    expect(shown.map((e) => e.text?.text)).toEqual(['Approve all 3', 'Deny all 3…']);
    expect(JSON.parse(value)).toMatchObject({ s: 'B-1' });
    expect((JSON.parse(value) as { r: string[][] }).r.map((p) => p[0])).toEqual(ids);
    // each request keeps its own message; a session with one open request gets no session message
    for (const id of ids) await postOf(slack, id);
    expect(sessionMessages('B-2')).toHaveLength(0);

    // a Slack user mapped to no approver: each request refused and recorded, as a single click is
    let seen = slack.callsOf('chat.postEphemeral').length;
    click(MALLORY, 'guard_batch_approve', value);
    const refusedText = await ephemeralText(slack, ++seen);
    expect(refusedText).toMatch(/^guard: 0 of 3 approvals of agent session B-1 recorded/);
    expect(refusedText.split('refused: mallory is not an enrolled approver').length - 1).toBe(3);
    const refused = await rig.ledger((rs) => ids.every((id) => recordsOf(rs, id, 'approval_refused').length > 0));
    for (const id of ids)
      expect(recordsOf(refused, id, 'approval_refused')[0]!.payload).toMatchObject({
        action: 'approve',
        channel: 'slack',
        identity: MALLORY.id,
        verifiedBy: 'slack:T1',
      });
    expect(approvalsOf(refused, ids)).toHaveLength(0);

    // a request arriving after the value was taken: the message grows, the old value does not
    const late = await heldIn(rig, 'B-1', 'approve-me', 'late');
    await sessionButtons('B-1', 'Approve all 4');
    click(ALICE, 'guard_batch_approve', value);
    expect(await ephemeralText(slack, ++seen)).toMatch(
      /^guard: 3 of 3 approvals of agent session B-1 recorded, each as its own vote:/,
    );
    const recs = approvalsOf(await rig.ledger((rs) => approvalsOf(rs, ids).length >= 3), [...ids, late, other]);
    expect(recs.map((r) => r.payload['requestId']).sort()).toEqual([...ids].sort());
    for (const r of recs)
      expect(r.payload).toMatchObject({
        approver: 'alice',
        action: 'approve',
        channel: 'slack',
        identity: ALICE.id,
        verifiedBy: 'slack:T1',
        reason: 'batch approve of 3 requests in session B-1',
      });
    for (const id of ids) expect(await stateOf(rig, id)).toBe('approved');
    for (const id of [late, other]) expect(await stateOf(rig, id)).toBe('pending');
    // the same click again: every listed request is no longer waiting, each named, nothing decided
    click(ALICE, 'guard_batch_approve', value);
    const again = await ephemeralText(slack, ++seen);
    expect(again).toMatch(/^guard: 0 of 3 approvals of agent session B-1 recorded/);
    for (const id of ids) expect(again).toContain(`${id}: not decided: no longer waiting for a decision`);
    expect(approvalsOf(await rig.ledger(), [...ids, late, other])).toHaveLength(3);
    // one request left open: the session message loses its buttons
    await until(
      () => JSON.stringify(sessionMessages('B-1').at(-1)).includes('one request open now'),
      'the session message without buttons',
    );
    expect(buttons(sessionMessages('B-1').at(-1)!)).toHaveLength(0);
  }, 180_000);

  it('a changed view decides nothing; an unknown digest is refused', async () => {
    const ids = [await heldIn(rig, 'B-3', 'approve-me', 'c0'), await heldIn(rig, 'B-3', 'approve-me', 'c1')];
    const value = (await sessionButtons('B-3', 'Approve all 2')).find(
      (e) => e.action_id === 'guard_batch_approve',
    )!.value!;
    // a question to the requester changes the view of the first request
    const { ts } = await postOf(slack, ids[0]!);
    submit(
      {
        id: 'V-ask-batch',
        callback_id: 'guard_ask_modal',
        private_metadata: JSON.stringify({ requestId: ids[0], channel: CHANNEL, ts }),
      },
      'why twice?',
    );
    await until(
      () =>
        slack
          .callsOf('chat.update')
          .some((c) => JSON.stringify(c.args).includes(ids[0]!) && JSON.stringify(c.args).includes('Question asked')),
      'the question on the request message',
    );
    let seen = slack.callsOf('chat.postEphemeral').length;
    click(ALICE, 'guard_batch_approve', value);
    expect(await ephemeralText(slack, ++seen)).toBe(
      `guard: Request ${ids[0]!} changed since the session message showed it; nothing was decided. Look at the updated message and decide again.`,
    );
    click(ALICE, 'guard_batch_approve', `digest:${'a'.repeat(64)}`);
    expect(await ephemeralText(slack, ++seen)).toMatch(/^guard: This session message is not one this daemon knows/);
    expect(approvalsOf(await rig.ledger(), ids).map((r) => r.payload['action'])).toEqual(['ask']);
    expect(await stateOf(rig, ids[1]!)).toBe('pending');
  }, 180_000);

  it('Deny all asks one reason and denies each listed request with it', async () => {
    const ids = [await heldIn(rig, 'B-4', 'approve-me', 'd0'), await heldIn(rig, 'B-4', 'approve-me', 'd1')];
    const value = (await sessionButtons('B-4', 'Deny all 2…')).find((e) => e.action_id === 'guard_batch_deny')!.value!;
    const opened = slack.callsOf('views.open').length;
    click(ALICE, 'guard_batch_deny', value);
    await until(() => slack.callsOf('views.open').length > opened, 'the reason modal');
    const modal = slack.callsOf('views.open').at(-1)!.args['view'] as Record<string, unknown>;
    expect(modal['callback_id']).toBe('guard_batch_deny_modal');
    submit({ ...modal, id: 'V-deny-batch' }, 'not during the freeze');
    const recs = approvalsOf(await rig.ledger((rs) => approvalsOf(rs, ids).length >= 2), ids);
    for (const r of recs)
      expect(r.payload).toMatchObject({
        action: 'deny',
        channel: 'slack',
        identity: ALICE.id,
        reason: 'not during the freeze — batch deny of 2 requests in session B-4',
      });
    for (const id of ids) expect(await stateOf(rig, id)).toBe('denied');
  }, 180_000);

  it('a set too long for a button value is named by a digest the channel keeps: Approve all through it', async () => {
    // the daemon keeps 200 characters of a session; quotes double in the value's JSON
    const session = `L${'"'.repeat(199)}`;
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await heldIn(rig, session, 'approve-me', `l${i}`));
    const value = (await sessionButtons(session, 'Approve all 20')).find(
      (e) => e.action_id === 'guard_batch_approve',
    )!.value!;
    expect(value).toMatch(/^digest:[0-9a-f]{64}$/);
    const seen = slack.callsOf('chat.postEphemeral').length;
    click(ALICE, 'guard_batch_approve', value);
    expect(await ephemeralText(slack, seen + 1)).toMatch(/^guard: 20 of 20 approvals of agent session L"+ recorded/);
    const recs = approvalsOf(await rig.ledger((rs) => approvalsOf(rs, ids).length >= 20), ids);
    expect(recs).toHaveLength(20);
    for (const r of recs)
      expect(r.payload).toMatchObject({
        action: 'approve',
        reason: `batch approve of 20 requests in session ${session}`,
      });
  }, 180_000);
});
