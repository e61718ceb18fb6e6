/**
 * Where the Slack "Revoke" button appears (decision 1094): only on an approved request whose view
 * the daemon marked revocable (a live grant), never on an open or closed one, and never on the
 * hub's Slack, whose votes carry no revocation (`hubView` drops the mark, as it drops extendOffer).
 */
import { describe, expect, it } from 'vitest';
import { renderMessage } from '../../src/channels/slack/blocks.js';
import { hubView } from '../../src/hub/slack-owner.js';
import type { RequestView } from '../../src/channels/types.js';
import { view } from './helpers.js';

const revokeButtons = (v: RequestView) =>
  renderMessage(v, Date.now())
    .blocks.flatMap((b) => (b['elements'] as { action_id?: string }[] | undefined) ?? [])
    .filter((e) => e.action_id === 'guard_revoke');

describe('slack: the Revoke button', () => {
  it('an approved, revocable view shows one; without the mark or in another state, none', () => {
    expect(revokeButtons(view({ state: 'approved', revocable: true }))).toHaveLength(1);
    expect(revokeButtons(view({ state: 'approved' }))).toHaveLength(0);
    for (const state of ['pending', 'needs_info', 'revoked', 'denied', 'expired'] as const)
      expect(revokeButtons(view({ state, revocable: true }))).toHaveLength(0);
  });

  it("the hub's Slack shows none: hubView drops the mark", () => {
    const hub = hubView(view({ state: 'approved', revocable: true }), 'host-1');
    expect(hub.revocable).toBeUndefined();
    expect(revokeButtons(hub)).toHaveLength(0);
  });
});
