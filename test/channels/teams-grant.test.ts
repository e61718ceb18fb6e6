/**
 * The Teams live-grant card (decision 1111) against a local flow and the channel's host contract:
 * which approved grants get one, the grant's end by time (no change of the request says so; the
 * card's poll notices) closes it with a final card and its answer is then never read, and the card
 * stays within the Workflows byte limits with the largest command and scope a view can carry.
 * The daemon's side (records, bounds, eligibility) is test/channels/teams-grant.e2e.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CARD_MAX_BYTES, MESSAGE_MAX_BYTES, messageBody, renderCard } from '../../src/channels/teams/card.js';
import { TeamsChannel } from '../../src/channels/teams/channel.js';
import type { ChannelExtension } from '../../src/request/channel-extend.js';
import type { ChannelRevocation } from '../../src/daemon/channel-revoke.js';
import { SCOPE_MAX_BYTES } from '../../src/request/grant-scope.js';
import type { RequestView } from '../../src/channels/types.js';
import { utf8Length } from '../../src/util/bytes.js';
import { FAST_RETRY, TestHost, until, view } from './helpers.js';
import { Receiver } from './receiver.js';

class GrantHost extends TestHost {
  readonly asked: (ChannelExtension | ChannelRevocation)[] = [];
  extend(e: ChannelExtension): Promise<string | null> {
    this.asked.push(e);
    return Promise.resolve(null);
  }
  revoke(e: ChannelRevocation): Promise<string | null> {
    this.asked.push(e);
    return Promise.resolve(null);
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const HOUR = 3600_000;

function grantView(usesLeft: number, expiresAt: string, offer = true, command?: string): RequestView {
  const later = new Date(Date.parse(expiresAt) + HOUR).toISOString();
  return view({
    id: 'rq-0123456789ab',
    state: 'approved',
    decidedBy: 'alice',
    ...(command === undefined ? {} : { command }),
    revocable: true,
    liveGrant: { usesLeft, expiresAt, scope: 'exactly `terraform destroy -auto-approve`, at most 3 uses within 1 h' },
    ...(offer ? { extendOffer: { from: { usesLeft, expiresAt }, to: { usesLeft: 3, expiresAt: later } } } : {}),
  });
}

async function rig(now: () => number): Promise<{ flow: Receiver; channel: TeamsChannel; host: GrantHost }> {
  const flow: Receiver = new Receiver('unused', (req) =>
    req.method === 'GET'
      ? { status: 202 }
      : (req.json?.['guard'] as { card?: string }).card === 'live_grant'
        ? { status: 202, headers: { location: `${flow.url}/runs/1` } }
        : { status: 200, body: '{}' },
  );
  await flow.start();
  const channel = new TeamsChannel({
    workflowUrl: `${flow.url}/workflows/abc/triggers/manual/run?sig=flow-secret`,
    mode: 'approval',
    retry: FAST_RETRY,
    pollIntervalMs: 20,
    grantActions: true,
    now,
  });
  const host = new GrantHost({});
  await channel.start(host);
  cleanups.push(
    () => flow.stop(),
    () => channel.stop(),
  );
  return { flow, channel, host };
}

const posts = (flow: Receiver) =>
  flow.received
    .filter((r) => r.method === 'POST')
    .map((r) => r.json as { guard: Record<string, unknown>; attachments: { content: unknown }[] });

describe('teams: which approved grants get a live-grant card', () => {
  it('a grant of one use its rule cannot extend gets the approved status card, as without grant_actions', async () => {
    const { flow, channel } = await rig(Date.now);
    await channel.update(grantView(1, new Date(Date.now() + HOUR).toISOString(), false));
    await channel.flush();
    expect(posts(flow).map((p) => p.guard)).toEqual([expect.objectContaining({ wants_approval: false })]);
    expect(JSON.stringify(posts(flow))).not.toMatch(/"Input\.|"Action\.|live_grant/);
  });

  it('a grant that expires while its card waits: a final card says so, and the card’s answer is never read', async () => {
    let now = Date.now();
    const expiresAt = new Date(now + HOUR).toISOString();
    const { flow, channel, host } = await rig(() => now);
    await channel.update(grantView(2, expiresAt));
    await until(() => flow.received.some((r) => r.method === 'GET'), 'the card’s Location polled');
    expect(posts(flow)[0]!.guard).toMatchObject({ wants_approval: true, card: 'live_grant' });
    // a use: nothing posted
    await channel.update(grantView(1, expiresAt));
    await channel.flush();
    expect(posts(flow)).toHaveLength(1);

    now += 2 * HOUR;
    await until(() => posts(flow).length === 2, 'the final card');
    const final = posts(flow)[1]!;
    expect(final.guard).toMatchObject({ wants_approval: false, state: 'approved' });
    const text = JSON.stringify(final.attachments[0]!.content);
    expect(text).toContain(`it expired at ${expiresAt}`);
    expect(text).not.toMatch(/"Input\.|"Action\./);
    // the poll ended before the final card was posted: an answer now is not read
    flow.respond = () => ({
      status: 200,
      body: JSON.stringify({ grant_action: 'revoke rq-0123456789ab', responder: { email: 'alice@example.test' } }),
    });
    await channel.flush();
    expect(host.asked).toEqual([]);
    expect(posts(flow)).toHaveLength(2);
  });
});

describe('teams: the live-grant card within the Workflows limits', () => {
  it('the largest command and scope a view carries: card and message under their limits, the choices whole', () => {
    const command = `echo ${'x'.repeat(300_000)}`;
    const v = grantView(2, new Date(Date.now() + HOUR).toISOString(), true, command);
    v.liveGrant = { ...v.liveGrant!, scope: `${'€'.repeat((SCOPE_MAX_BYTES - 3) / 3)}…`, scopeOmitted: 299_000 };
    const card = renderCard(v, false, { kind: 'live' });
    expect(utf8Length(JSON.stringify(card))).toBeLessThanOrEqual(CARD_MAX_BYTES);
    expect(utf8Length(messageBody('request.updated', v, true, false, { kind: 'live' }))).toBeLessThanOrEqual(
      MESSAGE_MAX_BYTES,
    );
    const text = JSON.stringify(card);
    expect(text).toContain(v.liveGrant.scope);
    expect(text).toContain('[299000 more characters not shown; the command below is whole]');
    const set = (card['body'] as { id?: string; choices?: { value: string }[] }[]).find(
      (b) => b.id === 'guard_grant_action',
    );
    expect(set?.choices?.map((c) => c.value.split(' ')[0])).toEqual(['extend', 'revoke']);
  });
});
