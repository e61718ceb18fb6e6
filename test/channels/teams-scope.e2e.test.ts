/**
 * The scope menu on the Teams card (issue #23, decision 1089) with a real daemon and a local server
 * answering each approval card the way the Power Automate flow does: the card carries an
 * Adaptive Card `Input.ChoiceSet` (`guard_scope`, "once" preselected) of the grants the rule
 * allows, each titled with its exact scope text; the flow returns the chosen value as `scope`.
 * "3 uses" grants exactly that text; the daemon re-checks the choice against the rule's bounds, so a
 * forged answer naming more uses or a longer time is refused and recorded, a malformed one grants
 * nothing, and the card is raised again each time. The flow must return the choice for this to be
 * offered (`teams.scope_choice: true`); test/channels/teams.test.ts's flows do not, and their cards
 * carry no choice set (asserted in test/channels/teams-scope-off.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerRow, Rig } from '../daemon/helpers.js';
import { heldIn, runIn } from '../helpers/scoped-rule.js';
import { Receiver, type Received } from './receiver.js';
import { teamsRig } from './teams-rig.js';

interface ChoiceSet {
  type: string;
  id: string;
  value: string;
  choices: { title: string; value: string }[];
}
type Answer = (choices: ChoiceSet | undefined) => Record<string, unknown> | undefined;

let rig: Rig;
let flow: Receiver;
/** Approval cards received, per request id, with the choice set each carried. */
const cards: { requestId: string; choices: ChoiceSet | undefined }[] = [];
/** How the flow answers the next approval cards, in order (none left: it never answers). */
const answers: Answer[] = [];

function choiceSet(req: Received): ChoiceSet | undefined {
  const card = (req.json?.['attachments'] as { content: { body: ChoiceSet[] } }[] | undefined)?.[0]?.content;
  return card?.body.find((b) => b.type === 'Input.ChoiceSet' && b.id === 'guard_scope');
}

beforeAll(async () => {
  flow = new Receiver('unused', (req) => {
    const guard = (req.json?.['guard'] ?? {}) as { wants_approval?: boolean; request_id?: string };
    if (req.method !== 'POST' || guard.wants_approval !== true) return { status: 200, body: '{}' };
    const choices = choiceSet(req);
    cards.push({ requestId: guard.request_id ?? '', choices });
    const body = answers.shift()?.(choices);
    // no answer: the flow's approval is still waiting (202 without a Location: the channel logs it)
    return body === undefined ? { status: 202 } : { status: 200, body: JSON.stringify(body) };
  });
  await flow.start();
  rig = await teamsRig(flow.url, '    scope_choice: true\n');
}, 120_000);

afterAll(async () => {
  await rig?.cleanup();
  await flow?.stop();
});

const approve = (scope?: string) => () => ({
  outcome: 'Approve',
  responder: { email: 'alice@example.test' },
  comments: 'ok',
  ...(scope === undefined ? {} : { scope }),
});
const records = (recs: LedgerRow[], id: string, type: string) =>
  recs.filter((r) => r.type === type && r.payload['requestId'] === id);

describe('scope menu on the Teams card (real daemon)', () => {
  it('"3 uses" chosen on the card grants exactly its title: three runs without a new request, the fourth held', async () => {
    let title = '';
    answers.push((choices) => {
      const three = choices?.choices.find((c) => c.title.startsWith('3 uses: '));
      title = three?.title.slice('3 uses: '.length) ?? '';
      return approve(three?.value)();
    });
    const id = await heldIn(rig, 'S-1', 'three-me');
    const recs = await rig.ledger((rs) => records(rs, id, 'approval').length > 0);
    const card = cards.find((c) => c.requestId === id)!;
    expect(card.choices?.value).toBe('once');
    expect(card.choices?.choices.map((c) => c.title.split(':')[0])).toEqual([
      'once',
      '3 uses',
      'for 1 h',
      'this agent session',
    ]);
    expect(title).toMatch(/^exactly `.*three-me` in .* by \S+ \(agent claude-code\), at most 3 uses within 15 min$/);
    const approval = records(recs, id, 'approval')[0]!.payload;
    expect(approval).toMatchObject({ approver: 'alice', action: 'approve', channel: 'teams' });
    expect(approval['grant']).toEqual({ uses: 3, ttlSeconds: 900, scope: title });

    for (let i = 0; i < 3; i++) expect((await runIn(rig, 'S-1', 'three-me')).code).toBe(0);
    expect(rig.marks()).toHaveLength(3);
    expect((await runIn(rig, 'S-1', 'three-me')).code).toBe(75);
    expect(rig.marks()).toHaveLength(3);
  }, 120_000);

  it('forged and malformed choices are refused (forged ones recorded), the card raised again; then once', async () => {
    answers.push(approve('u1000-t900'), approve('u3-t999999'), approve('u3-t900;uses=1000'), approve());
    const id = await heldIn(rig, 'S-2', 'three-me', 'forged');
    const recs = await rig.ledger((rs) => records(rs, id, 'approval').length > 0);
    const refused = records(recs, id, 'approval_refused').map((r) => r.payload);
    expect(refused).toHaveLength(2);
    for (const r of refused) expect(r).toMatchObject({ code: 'grant-refused', channel: 'teams', approver: 'alice' });
    expect(refused.map((r) => String(r['reason']))).toEqual([
      'uses must be 1–3 (policy max_uses)',
      'the grant may last at most 3600 s (policy max_ttl)',
    ]);
    // the malformed one never reached a grant; the fourth card's plain Approve approves once
    expect(cards.filter((c) => c.requestId === id)).toHaveLength(4);
    expect(records(recs, id, 'approval')).toHaveLength(1);
    expect(records(recs, id, 'approval')[0]!.payload['grant']).toBeUndefined();
  }, 120_000);

  it('a rule without max_uses / max_ttl: the card has no choice set, and a scope in the answer is refused and recorded', async () => {
    answers.push(approve('u2-t60'));
    const id = await heldIn(rig, 'S-3', 'approve-me');
    const recs = await rig.ledger((rs) => records(rs, id, 'approval_refused').length > 0);
    expect(cards.find((c) => c.requestId === id)?.choices).toBeUndefined();
    expect(records(recs, id, 'approval_refused')[0]!.payload).toMatchObject({
      code: 'grant-refused',
      reason: 'the policy allows no scoped grant for this request (no max_uses / max_ttl)',
    });
    expect(records(recs, id, 'approval')).toHaveLength(0);
  }, 120_000);
});
