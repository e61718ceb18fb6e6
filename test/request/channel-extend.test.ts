/**
 * Grant extension from a channel in the request core (decision 1091): what a channel is offered,
 * and the checks a clicked extension passes. Not offered and refused: a step-up rule (a channel
 * carries no fresh login), a quorum above one, a rule without both bounds; refused: an identity no
 * approver is enrolled with, an approver outside the rule's groups, a malformed or stale `from`.
 */
import { describe, expect, it } from 'vitest';
import type { ApprovalSettings } from '../../src/policy/types.js';
import { extendByChannel, extendOffer, type ChannelExtension } from '../../src/request/channel-extend.js';
import { isRefusal } from '../../src/request/refusal.js';
import type { StoredRequest } from '../../src/request/state.js';
import { approvers, FP, NOW, request } from './fixtures.js';

const GRANT_EXPIRES = new Date(NOW.getTime() + 600_000).toISOString();

function approved(over: Partial<ApprovalSettings> = {}): StoredRequest {
  const r = request({ maxUses: 3, maxTtlSeconds: 3600, ...over });
  return {
    ...r,
    state: 'approved',
    grant: { requestId: r.id, fingerprint: FP, expiresAt: GRANT_EXPIRES, usesLeft: 1, revoked: false },
  };
}

const slack = (id: string) => ({ channel: 'slack', id, verifiedBy: 'slack:T1' });

function asked(r: StoredRequest, id = 'U0ALICE', to = extendOffer(r, NOW)!.to): ChannelExtension {
  return { requestId: r.id, identity: slack(id), from: { usesLeft: 1, expiresAt: GRANT_EXPIRES }, to };
}

const reason = (out: ReturnType<typeof extendByChannel>): string => (isRefusal(out) ? out.reason : 'extended');

describe('grant extension from a channel', () => {
  it('offers max_uses uses for max_ttl from now, and applying the offer records grant_extended with the identity', () => {
    const r = approved();
    const offer = extendOffer(r, NOW)!;
    expect(offer).toEqual({
      from: { usesLeft: 1, expiresAt: GRANT_EXPIRES },
      to: { usesLeft: 3, expiresAt: new Date(NOW.getTime() + 3600_000).toISOString() },
    });
    const out = extendByChannel(r, asked(r), NOW, approvers, undefined);
    if (isRefusal(out)) throw new Error(out.reason);
    expect(out.next.grant).toMatchObject({ usesLeft: 3, expiresAt: offer.to.expiresAt });
    expect(out.records).toEqual([
      {
        type: 'grant_extended',
        payload: expect.objectContaining({
          approver: 'alice',
          channel: 'slack',
          identity: 'U0ALICE',
          verifiedBy: 'slack:T1',
          from: offer.from,
          to: offer.to,
        }) as unknown,
      },
    ]);
  });

  it('a step-up rule is neither offered nor extended from a channel', () => {
    const r = approved({ stepUp: true });
    expect(extendOffer(r, NOW)).toBeUndefined();
    const to = { usesLeft: 3, expiresAt: GRANT_EXPIRES };
    expect(reason(extendByChannel(r, asked(r, 'U0ALICE', to), NOW, approvers, undefined))).toMatch(
      /needs a fresh sign-in.*guard extend/,
    );
  });

  it('a quorum above one, or a rule without both bounds, offers nothing and refuses', () => {
    const to = { usesLeft: 3, expiresAt: GRANT_EXPIRES };
    const quorum = approved({ quorum: 2 });
    expect(extendOffer(quorum, NOW)).toBeUndefined();
    expect(reason(extendByChannel(quorum, asked(quorum, 'U0ALICE', to), NOW, approvers, undefined))).toMatch(
      /needs 2 approvers/,
    );
    const unbounded = approved({ maxUses: undefined });
    expect(extendOffer(unbounded, NOW)).toBeUndefined();
    expect(reason(extendByChannel(unbounded, asked(unbounded, 'U0ALICE', to), NOW, approvers, undefined))).toMatch(
      /no max_uses/,
    );
  });

  it('refuses an unknown identity, an approver outside the groups, a malformed or stale grant as shown', () => {
    const r = approved();
    expect(reason(extendByChannel(r, asked(r, 'U0NOBODY'), NOW, approvers, undefined))).toMatch(
      /not an enrolled approver/,
    );
    const sre = approved({ groups: ['dba'] });
    expect(reason(extendByChannel(sre, asked(sre), NOW, approvers, undefined))).not.toBe('extended');
    expect(reason(extendByChannel(r, { ...asked(r), from: { usesLeft: -1 } }, NOW, approvers, undefined))).toBe(
      'the extension asked for is malformed',
    );
    const stale = { ...asked(r), from: { usesLeft: 2, expiresAt: GRANT_EXPIRES } };
    expect(reason(extendByChannel(r, stale, NOW, approvers, undefined))).toMatch(/changed since it was shown/);
  });
});
