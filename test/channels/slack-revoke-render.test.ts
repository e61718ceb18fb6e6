/**
 * Where the Slack "Revoke" button appears (decision 1094): only on an approved request whose view
 * the daemon marked revocable (a live grant: uses left, not expired, not revoked), never on an open
 * or closed one. The hub's Slack shows it too (decision 1103) when the host's mark is well formed:
 * `hubView` keeps a mark that names a live grant and drops one that does not.
 */
import { describe, expect, it } from 'vitest';
import { renderMessage } from '../../src/channels/slack/blocks.js';
import { hubView } from '../../src/hub/slack-owner.js';
import type { RequestView } from '../../src/channels/types.js';
import { view } from './helpers.js';
import { channelView } from '../../src/daemon/channel-extend.js';
import type { StoredRequest } from '../../src/request/state.js';
import { FP, NOW, request } from '../request/fixtures.js';

/** An approved request of the fixtures whose grant has `usesLeft`, expiring `inMs` after NOW. */
function approved(usesLeft: number, inMs: number, revoked = false): StoredRequest {
  const r = request({});
  const expiresAt = new Date(NOW.getTime() + inMs).toISOString();
  return { ...r, state: 'approved', grant: { requestId: r.id, fingerprint: FP, expiresAt, usesLeft, revoked } };
}

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

  it('the daemon marks a view revocable only while its grant is live (uses left, not expired, not revoked)', () => {
    expect(channelView(approved(2, 60_000), NOW).revocable).toBe(true);
    expect(channelView(approved(0, 60_000), NOW).revocable).toBeUndefined();
    expect(channelView(approved(2, 0), NOW).revocable).toBeUndefined();
    expect(channelView(approved(2, 60_000, true), NOW).revocable).toBeUndefined();
    expect(channelView({ ...approved(2, 60_000), state: 'pending' }, NOW).revocable).toBeUndefined();
  });

  it("the hub's Slack shows one for a well-formed mark naming a live grant; hubView drops any other mark", () => {
    const grant = { usesLeft: 2, expiresAt: '2026-12-06T17:00:00.000Z' };
    const hub = hubView({ ...view({ state: 'approved', revocable: true }), grant } as RequestView, 'host-1');
    expect(hub.revocable).toBe(true);
    expect(revokeButtons(hub).map((b) => (b as { value?: string }).value)).toEqual([hub.id]);
    // a mark without the grant, or naming a used-up or malformed one, is not shown
    for (const bad of [undefined, { ...grant, usesLeft: 0 }, { ...grant, usesLeft: '2' }, { usesLeft: 1 }]) {
      const marked = hubView({ ...view({ state: 'approved', revocable: true }), grant: bad } as RequestView, 'host-1');
      expect(marked.revocable).toBeUndefined();
      expect(revokeButtons(marked)).toHaveLength(0);
    }
  });
});
