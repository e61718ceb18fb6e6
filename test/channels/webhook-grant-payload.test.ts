/**
 * What a webhook delivery says about a live grant (decision 1107), from the daemon's channel view
 * (`channelView`) to the envelope: the scope in words as approved (the text the approvers chose, else
 * the policy's default grant in the same words), the grant actions offered only at a callback
 * endpoint, and the budget: a live grant adds a bounded number of bytes whatever the command's size,
 * the scope cut at SCOPE_MAX_BYTES with the cut named. Also: a delivery's inline answer is a decision
 * on an open request, never a grant action.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { scopeFacts, scopeText } from '../../src/approval/scope.js';
import { buildEnvelope, GRANT_ACTION_SCHEMA, parseCallback } from '../../src/channels/webhook/payload.js';
import { WebhookChannel } from '../../src/channels/webhook/channel.js';
import { channelView } from '../../src/daemon/channel-extend.js';
import { SCOPE_MAX_BYTES } from '../../src/request/grant-scope.js';
import type { StoredRequest } from '../../src/request/state.js';
import { FP, NOW, request } from '../request/fixtures.js';
import { FAST_RETRY, TestHost, until, view } from './helpers.js';
import { Receiver } from './receiver.js';

const GRANT_EXPIRES = new Date(NOW.getTime() + 600_000).toISOString();

function approved(command = 'rm -rf build', extra: Partial<StoredRequest> = {}): StoredRequest {
  const r = request({ maxUses: 3, maxTtlSeconds: 3600 });
  return {
    ...r,
    state: 'approved',
    view: { ...r.view, state: 'approved', command, rules: [{ ...rule }] },
    grant: { requestId: r.id, fingerprint: FP, expiresAt: GRANT_EXPIRES, usesLeft: 1, revoked: false },
    ...extra,
  };
}
const rule = { id: 't.scoped', effect: 'approve', risk: 'high' as const, description: 'd', controls: [] };

const envelope = (v: ReturnType<typeof channelView>, callbackUrl: string | undefined = 'http://127.0.0.1:1/cb') =>
  buildEnvelope('request.updated', 'ops', v, { callbackUrl, decisions: true, nowMs: NOW.getTime() });

describe('a live grant in the webhook payload', () => {
  it('carries the default grant’s scope in the words the other surfaces use, and offers extend and revoke by callback', () => {
    const r = approved();
    const e = envelope(channelView(r, NOW));
    expect(e.request.liveGrant).toEqual({
      usesLeft: 1,
      expiresAt: GRANT_EXPIRES,
      scope: 'exactly `rm -rf build` in /work by agentuser (agent claude-code), at most 1 use within 10 min',
    });
    expect(e.request.revocable).toBe(true);
    expect(e.request.extendOffer?.to.usesLeft).toBe(3);
    expect(e.grant_actions).toEqual(['extend', 'revoke']);
    expect(e.reply_modes).toEqual(['callback']);
    expect(e.callback_url).toBe('http://127.0.0.1:1/cb');
    expect(e.decision_schema).toBe(GRANT_ACTION_SCHEMA);
  });

  it('carries verbatim the scope the approvers chose and signed', () => {
    const chosen = { uses: 3, ttlSeconds: 3600, session: 'S-9' };
    const base = approved();
    const scope = scopeText(scopeFacts({ ...base.view, session: 'S-9' }), chosen);
    const r = approved('rm -rf build', {
      votes: [
        {
          approver: 'alice',
          action: 'approve',
          channel: 'webhook',
          at: NOW.toISOString(),
          grant: { ...chosen, scope },
        },
      ],
    });
    expect(scope).toMatch(
      /^any command matching rule t\.scoped in \/work by agentuser \(agent claude-code\) in session S-9, /,
    );
    expect(channelView(r, NOW).liveGrant?.scope).toBe(scope);
  });

  it('offers only revoke when the rule allows no extension, and nothing at an endpoint without callbacks or once the grant is gone', () => {
    const plain = approved();
    plain.settings = { ...plain.settings, maxUses: undefined, maxTtlSeconds: undefined };
    expect(envelope(channelView(plain, NOW)).grant_actions).toEqual(['revoke']);
    const live = channelView(approved(), NOW);
    for (const mode of ['inline/poll', 'notify']) {
      const e = buildEnvelope('request.updated', 'ops', live, {
        callbackUrl: undefined,
        decisions: mode !== 'notify',
        nowMs: NOW.getTime(),
      });
      // still said (a fact about the grant), but nothing to answer with
      expect(e.request.revocable).toBe(true);
      expect([e.grant_actions, e.decision_schema, e.callback_url, e.reply_modes]).toEqual([
        undefined,
        undefined,
        undefined,
        [],
      ]);
    }
    const used = approved('rm -rf build', {});
    used.grant = { ...used.grant!, usesLeft: 0 };
    const revoked = approved('rm -rf build', { state: 'revoked' });
    revoked.grant = { ...revoked.grant!, revoked: true };
    const expired = new Date(Date.parse(GRANT_EXPIRES) + 1);
    for (const [r, at] of [
      [used, NOW],
      [revoked, NOW],
      [approved(), expired],
    ] as const) {
      const e = envelope(channelView(r, at));
      expect([e.grant_actions, e.request.liveGrant, e.request.revocable]).toEqual([undefined, undefined, undefined]);
    }
  });

  it('stays within the budget for a command at the daemon’s limits: the scope cut at SCOPE_MAX_BYTES, the cut named', () => {
    // 300,000 characters, some of them 4 bytes in UTF-8: the cut never splits one
    const command = `echo ${'é😀x'.repeat(100_000)}`;
    const r = approved(command);
    const v = channelView(r, NOW);
    const g = v.liveGrant!;
    expect(Buffer.byteLength(g.scope, 'utf8')).toBeLessThanOrEqual(SCOPE_MAX_BYTES);
    expect(g.scope).toMatch(/^exactly `echo (é😀x)+.*…$/u);
    expect(g.scope).not.toMatch(/\uFFFD/);
    const whole = scopeText(scopeFacts(r.view), { uses: 1, ttlSeconds: 600 });
    expect(g.scopeOmitted).toBe([...whole].length - [...g.scope].length + 1);
    expect(whole.startsWith(g.scope.slice(0, -1))).toBe(true);
    // what a live grant adds to a delivery, whatever the command's size
    const withoutGrant = envelope({ ...r.view }, 'http://127.0.0.1:1/cb');
    const added =
      Buffer.byteLength(JSON.stringify(envelope(v)), 'utf8') - Buffer.byteLength(JSON.stringify(withoutGrant));
    expect(added).toBeLessThanOrEqual(SCOPE_MAX_BYTES + 2048);
    // a pair of UTF-16 units where the command is clipped for the scope, and a chosen scope naming a long command: counted alike
    const pairAtClip = approved(`echo ${'x'.repeat(SCOPE_MAX_BYTES - 6)}${'😀'.repeat(10)}`);
    const chosen = { uses: 3, ttlSeconds: 3600 };
    const chosenText = scopeText(scopeFacts(r.view), chosen);
    const signedLong = approved(command, {
      votes: [
        {
          approver: 'alice',
          action: 'approve',
          channel: 'cli',
          at: NOW.toISOString(),
          grant: { ...chosen, scope: chosenText },
        },
      ],
    });
    for (const [req, text] of [
      [pairAtClip, scopeText(scopeFacts(pairAtClip.view), { uses: 1, ttlSeconds: 600 })],
      [signedLong, chosenText],
    ] as const) {
      const cut = channelView(req, NOW).liveGrant!;
      expect(Buffer.byteLength(cut.scope, 'utf8')).toBeLessThanOrEqual(SCOPE_MAX_BYTES);
      expect(text.startsWith(cut.scope.slice(0, -1))).toBe(true);
      expect(cut.scopeOmitted).toBe([...text].length - [...cut.scope].length + 1);
    }
    // a scope within the budget is whole
    expect(channelView(approved(`echo ${'x'.repeat(3000)}`), NOW).liveGrant?.scopeOmitted).toBeUndefined();
  });
});

describe('the callback body', () => {
  it('reads extend and revoke as grant actions and refuses unknown actions and stray fields', () => {
    const from = { usesLeft: 1, expiresAt: GRANT_EXPIRES };
    expect(parseCallback({ request_id: 'rq-1', action: 'revoke', approver: 'bob' })).toEqual({
      request_id: 'rq-1',
      action: 'revoke',
      approver: 'bob',
    });
    expect(parseCallback({ request_id: 'rq-1', action: 'extend', approver: 'bob', from, to: from }).action).toBe(
      'extend',
    );
    expect(() => parseCallback({ request_id: 'rq-1', action: 'widen', approver: 'bob' })).toThrow(
      /^invalid decision: action: /,
    );
    expect(() => parseCallback({ request_id: 'rq-1', action: 'revoke', approver: 'bob', reason: 'x' })).toThrow(
      /^invalid decision: .*reason/,
    );
    expect(() =>
      parseCallback({
        request_id: 'rq-1',
        action: 'extend',
        approver: 'bob',
        from,
        to: { usesLeft: 0, expiresAt: 'x' },
      }),
    ).toThrow(/^invalid decision: to\.usesLeft: /);
    expect(() => parseCallback({ action: 'revoke', approver: 'bob' })).toThrow(/^invalid decision: request_id: /);
  });
});

describe('a delivery’s inline answer', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('is a decision on the open request: a revoke there is refused and never reaches the daemon', async () => {
    const secret = 'whsec-inline-0123456789';
    const receiver = new Receiver(secret, () => ({
      status: 200,
      body: JSON.stringify({ action: 'revoke', approver: 'bob@acme.test' }),
      signWith: secret,
    }));
    await receiver.start();
    const revocations: unknown[] = [];
    const host = Object.assign(new TestHost({ 'bob@acme.test': 'bob' }), {
      revoke: (e: unknown) => (revocations.push(e), Promise.resolve(null)),
    });
    const channel = new WebhookChannel({
      name: 'ops',
      url: `${receiver.url}/hook`,
      secret,
      mode: 'inline',
      retry: FAST_RETRY,
    });
    await channel.start(host);
    cleanups.push(
      () => receiver.stop(),
      () => channel.stop(),
    );
    await channel.notify(view());
    await until(() => host.errors().some((e) => e.includes('inline decision for r-1 refused')), 'the refusal');
    expect(host.errors().join('\n')).toMatch(/invalid decision: action: /);
    expect(host.decisions).toHaveLength(0);
    expect(revocations).toHaveLength(0);
  });
});
