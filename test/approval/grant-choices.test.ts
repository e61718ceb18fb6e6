import { describe, expect, it } from 'vitest';
import { grantBoundsView, grantChoices } from '../../src/approval/grant-choices.js';
import { grantRefusal, scopeFacts } from '../../src/approval/scope.js';
import type { RequestView } from '../../src/request/state.js';
import { DEFAULT_APPROVAL } from '../../src/policy/rules/compiled.js';

const view = (extra: Partial<RequestView> = {}): RequestView => ({
  id: 'rq-0123456789ab',
  state: 'pending',
  command: 'kubectl delete pod web-1',
  argv: ['kubectl', 'delete', 'pod', 'web-1'],
  cwd: '/srv/app',
  risk: 'high',
  requester: { user: 'dev', agent: 'claude-code' },
  rules: [{ id: 'k8s.delete', effect: 'approve', risk: 'high', description: 'd', controls: [] }],
  commands: ['kubectl delete pod web-1'],
  context: {},
  createdAt: '2026-01-01T00:00:00.000Z',
  expiresAt: '2026-01-01T00:10:00.000Z',
  quorum: 1,
  approvals: [],
  ...extra,
});

describe('grant choices', () => {
  it('a rule without max_uses / max_ttl offers only "once"', () => {
    expect(grantBoundsView({ ...DEFAULT_APPROVAL })).toEqual({});
    expect(grantChoices(view()).map((c) => c.grant)).toEqual([undefined]);
  });

  it('offers N uses, the longest time and the session, each within the bounds the daemon accepts', () => {
    const settings = { ...DEFAULT_APPROVAL, grantTtlSeconds: 900, maxUses: 3, maxTtlSeconds: 3600 };
    const v = view({ ...grantBoundsView(settings), session: '3f2a' });
    const choices = grantChoices(v);
    expect(choices.map((c) => c.label)).toEqual([
      expect.stringContaining('once'),
      '3 uses',
      'for 1 h',
      'this agent session',
    ]);
    expect(choices[1]!.grant!.scope).toBe(
      'exactly `kubectl delete pod web-1` in /srv/app by dev (agent claude-code), at most 3 uses within 15 min',
    );
    for (const c of choices.slice(1)) expect(grantRefusal(c.grant!, settings, scopeFacts(v))).toBeUndefined();
  });

  it('equal choices are offered once, and malformed bounds offer nothing beyond "once"', () => {
    const same = view({ grantBounds: { maxUses: 2, maxTtlSeconds: 600, ttlSeconds: 600 } });
    expect(grantChoices(same).map((c) => c.label)).toEqual([expect.stringContaining('once'), '2 uses']);
    const bad = view({ grantBounds: { maxUses: 2.5, maxTtlSeconds: -1, ttlSeconds: 600 } });
    expect(grantChoices(bad)).toHaveLength(1);
  });
});
