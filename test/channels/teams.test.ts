import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CARD_COMMAND_CHARS, renderCard } from '../../src/channels/teams/card.js';
import { TeamsChannel } from '../../src/channels/teams/channel.js';
import { FAST_RETRY, TestHost, until, view } from './helpers.js';
import { Receiver, type Responder } from './receiver.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A Power Automate style responder: 202 + Location, then 202 while waiting, then the outcome. */
function flow(final: Record<string, unknown>, waits = 2): Responder {
  let polls = 0;
  return (req): ReturnType<Responder> => {
    if (req.method === 'POST')
      return {
        status: 202,
        headers: { location: `/workflows/abc/runs/${req.json === undefined ? 0 : 1}/response?sig=s3cr3t` },
      };
    return ++polls <= waits
      ? { status: 202, headers: { 'retry-after': '0' } }
      : { status: 200, body: JSON.stringify(final) };
  };
}

async function setup(
  respond: Responder,
  mode: 'approval' | 'notify' = 'approval',
  host = new TestHost({ 'bob@acme.test': 'bob' }),
) {
  const receiver = new Receiver('unused', respond);
  await receiver.start();
  const channel = new TeamsChannel({
    workflowUrl: `${receiver.url}/workflows/abc/triggers/manual/run?sig=flow-secret`,
    mode,
    retry: FAST_RETRY,
    pollIntervalMs: 30,
  });
  await channel.start(host);
  cleanups.push(
    () => receiver.stop(),
    () => channel.stop(),
  );
  return { receiver, host, channel };
}

type Node = { type?: string; text?: string; inlines?: Node[]; body?: Node[] };
function textBlocks(card: Node): string[] {
  return (card.body ?? []).filter((n) => n.type === 'TextBlock').map((n) => n.text ?? '');
}
function runs(card: Node): string[] {
  return (card.body ?? []).flatMap((n) => (n.inlines ?? []).map((i) => i.text ?? ''));
}

describe('teams: approval through the 202 + Location pattern', () => {
  it('posts the card, polls the Location and approves as the responder e-mail', async () => {
    const { receiver, host, channel } = await setup(
      flow({ outcome: 'Approve', responder: { email: 'Bob@Acme.test', displayName: 'Bob' }, comments: 'fine' }),
    );
    await channel.notify(view());
    await until(() => host.decisions.length === 1, 'decision');
    expect(host.decisions[0]).toEqual({
      requestId: 'r-1',
      action: 'approve',
      identity: { channel: 'teams', id: 'bob@acme.test', verifiedBy: `teams:${new URL(receiver.url).host}` },
      reason: 'fine',
    });
    const post = receiver.received[0]?.json as {
      type: string;
      attachments: { contentType: string; content: Node }[];
      guard: Record<string, unknown>;
    };
    expect(post.type).toBe('message');
    expect(post.attachments[0]?.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(post.guard).toMatchObject({
      event: 'request.created',
      wants_approval: true,
      request_id: 'r-1',
      risk: 'critical',
    });
    expect(receiver.received.filter((r) => r.method === 'GET').map((r) => r.path)).toEqual(
      Array(3).fill('/workflows/abc/runs/1/response?sig=s3cr3t'),
    );
    expect(channel.status().ok).toBe(true);
    expect(JSON.stringify(host.logs)).not.toContain('flow-secret');
  });

  it('maps Reject to a deny with the comments as reason', async () => {
    const { host, channel } = await setup(
      flow({ outcome: 'Reject', responder: { email: 'bob@acme.test' }, comments: 'no' }, 0),
    );
    await channel.notify(view());
    await until(() => host.decisions.length === 1, 'decision');
    expect(host.decisions[0]).toMatchObject({ action: 'deny', reason: 'no' });
  });

  it('refuses a malformed outcome or a missing e-mail (fail closed)', async () => {
    const { host, channel } = await setup(flow({ outcome: 'Approve maybe', responder: { email: 'bob@acme.test' } }, 0));
    await channel.notify(view());
    await until(() => host.errors().length > 0, 'refusal');
    expect(host.errors()[0]).toMatch(/outcome must be "Approve" or "Reject"/);
    const second = await setup(flow({ outcome: 'Approve', responder: {} }, 0));
    await second.channel.notify(view());
    await until(() => second.host.errors().length > 0, 'refusal');
    expect(second.host.errors()[0]).toMatch(/responder.email/);
    expect(host.decisions).toHaveLength(0);
    expect(second.host.decisions).toHaveLength(0);
  });

  it('a refused responder (unmapped) is logged and the request is raised again', async () => {
    const { receiver, host, channel } = await setup(
      flow({ outcome: 'Approve', responder: { email: 'eve@acme.test' } }, 0),
    );
    await channel.notify(view());
    await until(() => receiver.received.filter((r) => r.method === 'POST').length >= 2, 'raised again');
    expect(host.refusals[0]?.text).toBe('eve@acme.test is not an enrolled approver');
    expect(host.logs.some((l) => l.level === 'warn' && l.message.includes('refused by the daemon'))).toBe(true);
    await channel.update(view({ state: 'expired' }));
  });

  it('with a quorum of 2, an accepted approval that leaves the request pending raises it again', async () => {
    const { receiver, host, channel } = await setup(
      flow({ outcome: 'Approve', responder: { email: 'bob@acme.test' } }, 0),
    );
    await channel.notify(view({ quorum: 2 }));
    await until(() => host.decisions.length === 1, 'first approval');
    const pending = view({
      quorum: 2,
      approvals: [{ approver: 'bob', channel: 'teams', at: new Date().toISOString() }],
    });
    await channel.update(pending);
    const posts = receiver.received
      .filter((r) => r.method === 'POST')
      .map((r) => (r.json as { guard: { event: string } }).guard.event);
    expect(posts).toEqual(['request.created', 'request.created']);
    await channel.update({ ...pending, state: 'approved' });
  });

  it('a flow without asynchronous response (202, no Location) is reported', async () => {
    const { host, channel } = await setup(() => ({ status: 202 }));
    await channel.notify(view());
    expect(host.errors()[0]).toMatch(/without a Location/);
    expect(channel.status().ok).toBe(false);
  });

  it('stops polling when the request ends elsewhere', async () => {
    const { receiver, channel } = await setup(flow({}, 1_000_000));
    await channel.notify(view());
    await until(() => receiver.received.some((r) => r.method === 'GET'), 'polling');
    await channel.update(view({ state: 'approved', decidedBy: 'carol' }));
    await until(() => channel.status().detail.includes('0 waiting'), 'stopped');
    const last = receiver.received.filter((r) => r.method === 'POST').at(-1)?.json as { guard: { event: string } };
    expect(last.guard.event).toBe('request.updated');
  });
});

describe('teams: notify-only mode and failures', () => {
  it('posts cards without asking for an approval or polling', async () => {
    const { receiver, host, channel } = await setup(() => ({ status: 202 }), 'notify');
    await channel.notify(view());
    await channel.update(view({ state: 'needs_info', question: 'why?' }));
    await channel.update(view({ state: 'denied', decidedBy: 'bob', decisionReason: 'freeze' }));
    await channel.flush();
    const posts = receiver.received.map((r) => r.json as { guard: { event: string; wants_approval: boolean } });
    expect(posts.map((p) => [p.guard.event, p.guard.wants_approval])).toEqual([
      ['request.created', false],
      ['request.updated', false],
      ['request.updated', false],
    ]);
    expect(receiver.received.some((r) => r.method === 'GET')).toBe(false);
    expect(host.errors()).toEqual([]);
  });

  it('a flow that is down is retried with backoff and reported', async () => {
    const { host, channel } = await setup(() => ({ status: 502 }));
    await channel.notify(view());
    expect(host.errors().filter((e) => e.includes('HTTP 502'))).toHaveLength(3);
    expect(host.errors().at(-1)).toMatch(/gave up/);
    expect(channel.status().ok).toBe(false);
  });

  it('refuses a plain-http workflow URL outside loopback', () => {
    expect(
      () => new TeamsChannel({ workflowUrl: 'http://prod-1.logic.azure.com/x', mode: 'notify', retry: FAST_RETRY }),
    ).toThrow(/use https/);
  });
});

describe('teams: the Adaptive Card', () => {
  it('fills the shipped template; request text only ever lands in TextRuns (no markdown)', () => {
    const injection = '[click](http://evil.test) **bold** <at>everyone</at> ${title}';
    const card: Node = renderCard(view({ command: `echo ${injection}`, reason: injection, ticket: injection }));
    // Placeholders are all filled, and a placeholder inside request text is not expanded.
    expect(JSON.stringify(card).split(injection).join('')).not.toContain('${');
    expect(textBlocks(card)).toEqual(['Approval needed · CRITICAL', 'Command', 'Matched rules']);
    expect(runs(card)).toContain(`echo ${injection}`);
    expect(runs(card)).toContain(injection);
    const shipped = JSON.parse(
      readFileSync(new URL('../../channels/teams-card.template.json', import.meta.url), 'utf8'),
    ) as { type: string; version: string };
    expect([shipped.type, shipped.version]).toEqual(['AdaptiveCard', '1.5']);
  });

  it('states what is left out of a very long command', () => {
    const command = 'a'.repeat(CARD_COMMAND_CHARS + 500);
    const texts = runs(renderCard(view({ command })));
    expect(texts).toContain(
      `[Not shown in Teams: characters ${CARD_COMMAND_CHARS + 1}–${CARD_COMMAND_CHARS + 500} of ${CARD_COMMAND_CHARS + 500}. Review the full command with guard approve before deciding.]`,
    );
    expect(texts.filter((t) => /^a+$/.test(t)).join('')).toHaveLength(CARD_COMMAND_CHARS);
    expect(texts).toContain('part 1/6\n');
  });
});
