/**
 * channels/teams-approval-flow.json, the Power Automate flow docs/channels.md offers for import:
 * valid JSON, and wired to what the Teams channel sends and reads. The flow's expressions are
 * evaluated (a small evaluator for the Workflow Definition Language functions the file uses)
 * against the message guard really posts (messageBody) and an Approvals connector result, and the
 * flow's answer is read by the channel's own parser (parseOutcome).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { messageBody, renderCard } from '../../src/channels/teams/card.js';
import { parseOutcome } from '../../src/channels/teams/channel.js';
import { view } from './helpers.js';

type Json = unknown;
interface Action {
  type: string;
  kind?: string;
  runAfter?: Record<string, string[]>;
  operationOptions?: string;
  expression?: { and: { equals: [string, Json] }[] };
  inputs: Record<string, Json> & { parameters?: Record<string, Json>; body?: Json; statusCode?: number };
  actions?: Record<string, Action>;
  else?: { actions: Record<string, Action> };
}

const flow = JSON.parse(readFileSync(new URL('../../channels/teams-approval-flow.json', import.meta.url), 'utf8')) as {
  properties: { definition: { triggers: Record<string, Action>; actions: Record<string, Action> } };
};
const def = flow.properties.definition;

/** Evaluates `@expr` and `@{expr}` strings of the subset the flow uses; other values as they are. */
function evaluate(value: Json, scope: { trigger: Json; outputs: Record<string, Json> }): Json {
  if (Array.isArray(value)) return value.map((v) => evaluate(v, scope));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, evaluate(v, scope)]));
  if (typeof value !== 'string' || !value.startsWith('@')) return value;
  if (value.startsWith('@{')) {
    expect(value.endsWith('}')).toBe(true);
    return String(expression(value.slice(2, -1), scope));
  }
  return expression(value.slice(1), scope);
}

function expression(src: string, scope: { trigger: Json; outputs: Record<string, Json> }): Json {
  let i = 0;
  const literal = (): string => {
    const end = src.indexOf("'", i + 1);
    const s = src.slice(i + 1, end);
    i = end + 1;
    return s;
  };
  const call = (): Json => {
    const name = /^[A-Za-z]+/.exec(src.slice(i))?.[0] ?? '';
    i += name.length;
    expect(src[i]).toBe('(');
    i++;
    const args: Json[] = [];
    while (src[i] !== ')') {
      args.push(src[i] === "'" ? literal() : term());
      if (src[i] === ',') i++;
    }
    i++;
    const fns: Record<string, (...a: Json[]) => Json> = {
      triggerBody: () => scope.trigger,
      outputs: (n) => scope.outputs[String(n)],
      first: (a) => (Array.isArray(a) ? (a as Json[])[0] : undefined),
      string: (a) => (typeof a === 'string' ? a : JSON.stringify(a)),
    };
    const fn = fns[name];
    if (fn === undefined) throw new Error(`unsupported function ${name} in ${src}`);
    return fn(...args);
  };
  const term = (): Json => {
    let v = call();
    // ?['a/b'] reads a, then b (the designer's path shorthand)
    while (src.startsWith("?['", i) || src.startsWith("['", i)) {
      i += src[i] === '?' ? 2 : 1;
      const key = literal();
      expect(src[i]).toBe(']');
      i++;
      for (const k of key.split('/'))
        v = v !== null && typeof v === 'object' ? (v as Record<string, Json>)[k] : undefined;
    }
    return v;
  };
  const v = term();
  expect(i).toBe(src.length);
  return v;
}

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
