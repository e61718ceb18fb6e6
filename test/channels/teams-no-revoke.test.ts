/**
 * Without `teams.grant_actions` (decision 1111) Teams offers no revocation or extension (decision
 * 1095): the shipped Workflows flow returns one Approve/Reject per approval card and cannot edit a
 * card, so an approved request's card is a final status card (no approval wanted, no action, no input), even when the daemon's view marks the grant
 * revocable and extendable; the grant is revoked with `guard revoke` or from Slack.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TeamsChannel } from '../../src/channels/teams/channel.js';
import { FAST_RETRY, TestHost, until, view } from './helpers.js';
import { Receiver } from './receiver.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A Teams channel in approval mode posting to a local flow that answers 200 `{}`. */
async function started(extra: { scopeChoice?: boolean }): Promise<{ receiver: Receiver; channel: TeamsChannel }> {
  const receiver = new Receiver('unused', () => ({ status: 200, body: '{}' }));
  await receiver.start();
  const channel = new TeamsChannel({
    workflowUrl: `${receiver.url}/workflows/abc/triggers/manual/run?sig=flow-secret`,
    mode: 'approval',
    retry: FAST_RETRY,
    ...extra,
  });
  await channel.start(new TestHost({}));
  cleanups.push(
    () => receiver.stop(),
    () => channel.stop(),
  );
  return { receiver, channel };
}

describe('teams: no revoke or extend on an approved card', () => {
  it('the approved card is final: no approval asked, no action or input, nothing about revoking or extending', async () => {
    const { receiver, channel } = await started({ scopeChoice: true });
    const later = new Date(Date.now() + 3600_000).toISOString();
    await channel.update(
      view({
        state: 'approved',
        revocable: true,
        extendOffer: { from: { usesLeft: 1, expiresAt: later }, to: { usesLeft: 3, expiresAt: later } },
      }),
    );
    await until(() => receiver.received.length > 0, 'the status card');
    const body = JSON.parse(receiver.received[0]!.body) as { guard: Record<string, unknown> };
    expect(body.guard).toMatchObject({ wants_approval: false, state: 'approved' });
    const card = JSON.stringify(body);
    expect(card).not.toMatch(/"Action\.|"Input\./);
    expect(card).not.toMatch(/revoke|extend/i);
    await channel.flush?.();
    expect(receiver.received).toHaveLength(1);
  });

  it('each use of a grant changes the view, not the state: the Approved card is posted once; the revocation gets its own card', async () => {
    const { receiver, channel } = await started({});
    const later = new Date(Date.now() + 3600_000).toISOString();
    for (const usesLeft of [3, 2, 1])
      await channel.update(
        view({
          state: 'approved',
          revocable: true,
          extendOffer: { from: { usesLeft, expiresAt: later }, to: { usesLeft: 3, expiresAt: later } },
        }),
      );
    await channel.update(view({ state: 'revoked' }));
    await until(() => receiver.received.length >= 2, 'the revoked card');
    await channel.flush?.();
    const states = receiver.received.map((r) => (JSON.parse(r.body) as { guard: { state: string } }).guard.state);
    expect(states).toEqual(['approved', 'revoked']);
  });
});
