/**
 * channels/teams-grant-flow.json, the flow for `teams.grant_actions: true` (decision 1111): a
 * live-grant card (`guard.card: "live_grant"`) is posted with "Post adaptive card and wait for a
 * response" and the flow answers asynchronously with the card's `guard_grant_action` and the
 * responder's e-mail, read by the channel's own parser; every other message takes exactly the
 * approval flow's path (channels/teams-approval-flow.json). Evaluated with test/channels/flow-eval.ts
 * against the messages guard really posts; it does not prove that a tenant accepts the file.
 */
import { describe, expect, test } from 'vitest';
import { messageBody, renderCard } from '../../src/channels/teams/card.js';
import { parseGrantAnswer } from '../../src/channels/teams/channel.js';
import { readGrantAction } from '../../src/channels/teams/grant-action.js';
import { evaluate, flowDefinition, type Action, type Json } from './flow-eval.js';
import { view } from './helpers.js';

const def = flowDefinition('teams-grant-flow.json');
const approvalFlow = flowDefinition('teams-approval-flow.json');
const branch = def.actions['Live_grant_card'] as Action;
const wait = branch.actions?.['Post_adaptive_card_and_wait_for_a_response'] as Action;
const response = branch.actions?.['Response_with_the_grant_action'] as Action;

const later = new Date(Date.now() + 3600_000).toISOString();
const latest = new Date(Date.now() + 7200_000).toISOString();
const live = view({
  id: 'rq-0123456789ab',
  state: 'approved',
  revocable: true,
  liveGrant: { usesLeft: 1, expiresAt: later, scope: 'exactly `terraform destroy -auto-approve`, at most 1 use' },
  extendOffer: { from: { usesLeft: 1, expiresAt: later }, to: { usesLeft: 3, expiresAt: latest } },
});
const isGrantCard = (trigger: Json): boolean => {
  const [cond] = branch.expression?.and ?? [];
  return evaluate(cond?.equals[0], { trigger, outputs: {} }) === cond?.equals[1];
};

describe('the importable Teams flow for grant actions', () => {
  test('a live-grant card is posted as guard rendered it and waited on; other messages take the approval flow', () => {
    const trigger = JSON.parse(messageBody('request.updated', live, true, false, { kind: 'live' })) as Json;
    expect(isGrantCard(trigger)).toBe(true);
    expect(wait.type).toBe('OpenApiConnectionWebhook');
    expect((wait.inputs['host'] as Record<string, string>)['operationId']).toBe('PostCardAndWaitForResponse');
    const card = evaluate(wait.inputs.parameters?.['body/body/messageBody'], { trigger, outputs: {} });
    expect(JSON.parse(String(card))).toEqual(JSON.parse(JSON.stringify(renderCard(live, false, { kind: 'live' }))));
    for (const other of [
      messageBody('request.created', view(), true),
      messageBody('request.updated', live, false),
      messageBody('request.updated', live, false, false, { kind: 'ended', why: 'no uses are left' }),
    ])
      expect(isGrantCard(JSON.parse(other) as Json)).toBe(false);
    expect(branch.else?.actions).toEqual(approvalFlow.actions);
  });

  test('answers asynchronously with the chosen value and the responder, which the channel reads and binds to the request', () => {
    expect(response.type).toBe('Response');
    expect(response.operationOptions).toBe('Asynchronous');
    expect(response.runAfter).toEqual({ Post_adaptive_card_and_wait_for_a_response: ['Succeeded'] });
    const trigger = JSON.parse(messageBody('request.updated', live, true, false, { kind: 'live' })) as Json;
    const card = renderCard(live, false, { kind: 'live' });
    const choices = (card['body'] as { id?: string; choices?: { value: string }[] }[]).find(
      (b) => b.id === 'guard_grant_action',
    )!.choices!;
    for (const choice of choices) {
      // what "Post adaptive card and wait for a response" returns, trimmed to what is read
      const result = { body: { data: { guard_grant_action: choice.value }, responder: { email: 'Ana@Example.com' } } };
      const body = evaluate(response.inputs.body, {
        trigger,
        outputs: { Post_adaptive_card_and_wait_for_a_response: result },
      }) as Record<string, unknown>;
      const answer = parseGrantAnswer(body);
      expect(answer).toEqual({ value: choice.value, email: 'ana@example.com' });
      expect(readGrantAction(answer.value, live.id).ok).toBe(true);
    }
    expect(choices.map((c) => c.value)).toEqual([`extend ${live.id} 1 ${later} 3 ${latest}`, `revoke ${live.id}`]);
    // no choice made, or no responder: refused by the channel, never read as an action
    const empty = evaluate(response.inputs.body, {
      trigger,
      outputs: { Post_adaptive_card_and_wait_for_a_response: { body: { data: {} } } },
    }) as Record<string, unknown>;
    expect(() => parseGrantAnswer(empty)).toThrow(/grant_action/);
  });
});
