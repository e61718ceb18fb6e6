/**
 * Without `teams.scope_choice` (the shipped flow, which answers through the Approvals connector and
 * cannot return a card input) an approval card offers no scope, even for a rule that allows one, so
 * no approver picks a grant the flow would drop; a `scope` in such a flow's answer is refused, not
 * turned into a grant (decision 1089). The card of a scope_choice channel carries the choice set.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TeamsChannel } from '../../src/channels/teams/channel.js';
import { FAST_RETRY, TestHost, until, view } from './helpers.js';
import { Receiver } from './receiver.js';

const BOUNDS = { grantBounds: { maxUses: 3, maxTtlSeconds: 3600, ttlSeconds: 900 } };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(scopeChoice: boolean, answer: Record<string, unknown>) {
  let posts = 0;
  const receiver: Receiver = new Receiver('unused', (req) =>
    req.method === 'POST' && ++posts === 1 ? { status: 200, body: JSON.stringify(answer) } : { status: 202 },
  );
  await receiver.start();
  const host = new TestHost({ 'bob@acme.test': 'bob' });
  const channel = new TeamsChannel({
    workflowUrl: `${receiver.url}/workflows/abc/triggers/manual/run?sig=flow-secret`,
    mode: 'approval',
    retry: FAST_RETRY,
    scopeChoice,
  });
  await channel.start(host);
  cleanups.push(
    () => receiver.stop(),
    () => channel.stop(),
  );
  return { receiver, host, channel };
}

const choiceSet = (body: string | undefined) => (body ?? '').includes('"Input.ChoiceSet"');

describe('teams: scope choice only where the flow returns it', () => {
  it('off: no choice set on the card, and a returned scope is refused, never a grant', async () => {
    const answer = { outcome: 'Approve', responder: { email: 'bob@acme.test' }, scope: 'u3-t900' };
    const { receiver, host, channel } = await setup(false, answer);
    await channel.notify(view(BOUNDS));
    await until(() => host.logs.some((l) => l.message.includes('teams.scope_choice')), 'the refusal logged');
    expect(choiceSet(receiver.received[0]?.body)).toBe(false);
    expect(host.decisions).toHaveLength(0);
  });

  it('on: the approval card carries guard_scope with once preselected and the scope texts', async () => {
    const answer = { outcome: 'Approve', responder: { email: 'bob@acme.test' }, scope: 'u3-t900' };
    const { receiver, host, channel } = await setup(true, answer);
    await channel.notify(view(BOUNDS));
    await until(() => host.decisions.length === 1, 'the decision');
    expect(choiceSet(receiver.received[0]?.body)).toBe(true);
    expect(receiver.received[0]?.body).toContain('at most 3 uses within 15 min');
    expect(host.decisions[0]?.grant).toMatchObject({ uses: 3, ttlSeconds: 900 });
  });
});
