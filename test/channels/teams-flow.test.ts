/**
 * channels/teams-approval-flow.json, the Power Automate flow docs/channels.md offers for import:
 * valid JSON, and wired to what the Teams channel sends and reads. The flow's expressions are
 * evaluated (a small evaluator for the Workflow Definition Language functions the file uses)
 * against the message guard really posts (messageBody) and an Approvals connector result, and the
 * flow's answer is read by the channel's own parser (parseOutcome).
 */
import { describe, expect, test } from 'vitest';
import { messageBody, renderCard } from '../../src/channels/teams/card.js';
import { parseOutcome } from '../../src/channels/teams/channel.js';
import { view } from './helpers.js';
import { evaluate, flowDefinition, type Action, type Json } from './flow-eval.js';

const def = flowDefinition('teams-approval-flow.json');

const post = def.actions['Post_card_in_a_chat_or_channel'] as Action;
const branch = def.actions['Wants_approval'] as Action;
const approval = branch.actions?.['Start_and_wait_for_an_approval'] as Action;
const response = branch.actions?.['Response_with_the_decision'] as Action;
/** What the Approvals connector's "Start and wait for an approval" returns, trimmed to what is read. */
const approvalResult = (outcome: string, email: string, comments: string) => ({
  body: { outcome, responses: [{ responder: { email, displayName: 'Ana' }, comments }] },
});

describe('the importable Teams flow', () => {
  test('is JSON with an HTTP request trigger anyone with the URL can call', () => {
    const trigger = def.triggers['manual'] as Action;
    expect(trigger.type).toBe('Request');
    expect(trigger.kind).toBe('Http');
    expect(trigger.inputs['triggerAuthenticationType']).toBe('All');
  });

  test("posts guard's own card, and asks for an approval only when guard wants one", () => {
    const v = view();
    for (const wants of [true, false]) {
      const trigger = JSON.parse(messageBody('request.created', v, wants)) as Json;
      const card = evaluate(post.inputs.parameters?.['body/messageBody'], { trigger, outputs: {} });
      expect(JSON.parse(String(card))).toEqual(JSON.parse(JSON.stringify(renderCard(v))));
      const [cond] = branch.expression?.and ?? [];
      expect(evaluate(cond?.equals[0], { trigger, outputs: {} }) === cond?.equals[1]).toBe(wants);
    }
    const trigger = JSON.parse(messageBody('request.created', v, true)) as Json;
    const params = evaluate(approval.inputs.parameters, { trigger, outputs: {} }) as Record<string, Json>;
    const sent = (trigger as { guard: { title: string; details: string } }).guard;
    expect(params['WebhookApprovalCreationInput/title']).toBe(sent.title);
    expect(params['WebhookApprovalCreationInput/details']).toBe(sent.details);
    expect(sent.title).not.toBe('');
  });

  test('answers asynchronously, after the approval, with every field the channel reads', () => {
    expect(response.type).toBe('Response');
    expect(response.operationOptions).toBe('Asynchronous');
    expect(response.runAfter).toEqual({ Start_and_wait_for_an_approval: ['Succeeded'] });
    expect(response.inputs.statusCode).toBe(200);
    const trigger = JSON.parse(messageBody('request.created', view(), true)) as Json;
    const body = (result: Json) =>
      evaluate(response.inputs.body, { trigger, outputs: { Start_and_wait_for_an_approval: result } }) as Record<
        string,
        unknown
      >;
    expect(parseOutcome(body(approvalResult('Approve', 'Ana@Example.com', 'ok')))).toEqual({
      action: 'approve',
      email: 'ana@example.com',
      comments: 'ok',
    });
    expect(parseOutcome(body(approvalResult('Reject', 'bo@example.com', 'not today')))).toEqual({
      action: 'deny',
      email: 'bo@example.com',
      comments: 'not today',
    });
    // a result without a responder is refused by the channel, not read as someone's decision
    expect(() => parseOutcome(body({ body: { outcome: 'Approve', responses: [] } }))).toThrow(/responder.email/);
  });

  test('a notification (no approval wanted) gets an empty 200 at once', () => {
    const notified = branch.else?.actions['Response_notified'] as Action;
    expect(notified.type).toBe('Response');
    expect(notified.operationOptions).toBeUndefined();
    expect(notified.inputs.statusCode).toBe(200);
    expect(notified.inputs.body).toEqual({});
  });
});
