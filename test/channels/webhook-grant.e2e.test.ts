/**
 * Extending and revoking a grant through a webhook receiver (issue #23, decision 1107) with a real
 * daemon, its HTTP listener and a real HTTP receiver (test/channels/receiver.ts, its own HMAC). Once
 * approved, the `request.updated` delivery of a live grant says so (`revocable`, `extendOffer`,
 * `liveGrant` with the scope in words) and offers `grant_actions` by callback. A signed callback
 * revokes (recorded as `grant_revoked` with the webhook identity; the next run is held again) or
 * extends within the rule's bounds (recorded as `grant_extended`; the extra uses run). Beyond the
 * bounds, an unmapped approver and nothing left to revoke are refused with 403, recorded
 * (`approval_refused` with the action) and change nothing; a forged signature (401), a replay (409)
 * and an unknown action (400) are refused before the daemon and change nothing either.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRANT_ACTION_SCHEMA } from '../../src/channels/webhook/payload.js';
import { Rig, type LedgerRow } from '../daemon/helpers.js';
import { SCOPED_POLICY, heldIn, runIn } from '../helpers/scoped-rule.js';
import { until } from './helpers.js';
import { postCallback, Receiver, sign, type Received } from './receiver.js';
import { recordsOf as records } from './slack-scope.js';

const SECRET = 'whsec-grant-0123456789abcdef';
const ALICE = 'alice@example.test';

let rig: Rig;
let receiver: Receiver;

beforeAll(async () => {
  receiver = new Receiver(SECRET, () => ({ status: 200, body: '{}' }));
  await receiver.start();
  rig = new Rig(SCOPED_POLICY, { GUARD_TEST_WEBHOOK_SECRET: SECRET });
  mkdirSync(rig.env['GUARD_HOME']!, { recursive: true, mode: 0o700 });
  writeFileSync(
    join(rig.env['GUARD_HOME']!, 'config.yaml'),
    [
      'channels:',
      '  retry: { attempts: 3, base_ms: 20, max_ms: 100 }',
      '  webhooks:',
      '    - name: ops',
      `      url: ${receiver.url}/hook`,
      '      secret_ref: env:GUARD_TEST_WEBHOOK_SECRET',
      '      mode: callback',
      '  http_listener: { bind: 127.0.0.1, port: 0 }',
      '',
    ].join('\n'),
  );
  await rig.enroll('alice', ['ops'], undefined, ['--email', ALICE]);
  await rig.startDaemon();
}, 120_000);

afterAll(async () => {
  await rig?.cleanup();
  await receiver?.stop();
});

interface Delivery {
  event: string;
  callback_url?: string;
  reply_modes: string[];
  grant_actions?: string[];
  decision_schema?: unknown;
  request: {
    id: string;
    state: string;
    revocable?: boolean;
    extendOffer?: { from: { usesLeft: number; expiresAt: string }; to: { usesLeft: number; expiresAt: string } };
    liveGrant?: { usesLeft: number; expiresAt: string; scope: string; scopeOmitted?: number };
  };
}

/** Every signed delivery about request `id`, oldest first. */
const deliveries = (id: string): Delivery[] =>
  receiver.received
    .filter((r: Received) => r.signatureValid && (r.json?.['request'] as { id?: string } | undefined)?.id === id)
    .map((r) => r.json as unknown as Delivery);

async function delivered(id: string, what: string, ok: (d: Delivery) => boolean): Promise<Delivery> {
  await until(() => deliveries(id).some(ok), what, 60_000);
  return deliveries(id).filter(ok).at(-1)!;
}

/** A signed callback to the daemon's listener, the way a receiver sends one. */
const callback = (url: string, body: Record<string, unknown>) => postCallback(url, SECRET, JSON.stringify(body));

/** Approves `id` by signed callback as alice, and waits for the delivery of the live grant. */
async function approvedByWebhook(id: string): Promise<{ url: string; live: Delivery }> {
  const created = await delivered(id, 'request.created', (d) => d.event === 'request.created');
  const url = created.callback_url!;
  expect(await callback(url, { request_id: id, action: 'approve', approver: ALICE })).toEqual({
    status: 200,
    json: { ok: true },
  });
  const live = await delivered(
    id,
    'the live grant',
    (d) => d.request.state === 'approved' && d.grant_actions !== undefined,
  );
  return { url, live };
}

const countOf = (recs: LedgerRow[], id: string) => ({
  refused: records(recs, id, 'approval_refused').length,
  revoked: records(recs, id, 'grant_revoked').length,
  extended: records(recs, id, 'grant_extended').length,
});

describe('revoking a grant through a webhook callback (real daemon, real receiver)', () => {
  it('the delivery offers revoke; a mapped approver revokes, the next run is held; unmapped, forged, replayed and repeated callbacks change nothing', async () => {
    const id = await heldIn(rig, 'S-1', 'twice-me');
    const { url, live } = await approvedByWebhook(id);
    expect(live.event).toBe('request.updated');
    expect(live.reply_modes).toEqual(['callback']);
    expect(live.callback_url).toBe(url);
    expect(live.grant_actions).toEqual(['revoke']);
    expect(live.decision_schema).toEqual(JSON.parse(JSON.stringify(GRANT_ACTION_SCHEMA)));
    expect(live.request.revocable).toBe(true);
    // t.twice has no max_uses / max_ttl: nothing to extend
    expect(live.request.extendOffer).toBeUndefined();
    expect(live.request.liveGrant).toMatchObject({ usesLeft: 2 });
    expect(live.request.liveGrant!.scope).toMatch(
      /^exactly `\S*mark \S+ twice-me` in \S+ by \S+ \(agent claude-code\), at most 2 uses within /,
    );
    expect(live.request.liveGrant!.scopeOmitted).toBeUndefined();

    expect((await runIn(rig, 'S-1', 'twice-me')).code).toBe(0);
    expect(rig.marks()).toHaveLength(1);
    const used = await delivered(id, 'one use left', (d) => d.request.liveGrant?.usesLeft === 1);
    expect(used.grant_actions).toEqual(['revoke']);

    // an identity no approver is enrolled with: 403, recorded, nothing revoked
    const mallory = await callback(url, { request_id: id, action: 'revoke', approver: 'mallory@x.test' });
    expect(mallory).toEqual({ status: 403, json: { error: 'mallory@x.test is not an enrolled approver' } });
    const refused = await rig.ledger((rs) => records(rs, id, 'approval_refused').length > 0);
    expect(records(refused, id, 'approval_refused')[0]!.payload).toMatchObject({
      action: 'revoke',
      channel: 'webhook',
      identity: 'mallory@x.test',
      verifiedBy: 'webhook:ops',
      code: 'unknown-approver',
    });

    // forged: signed with another secret, or the body changed after signing: 401 before the daemon
    const body = JSON.stringify({ request_id: id, action: 'revoke', approver: ALICE });
    const ts = String(Math.floor(Date.now() / 1000));
    expect((await postCallback(url, 'not-the-secret', body)).status).toBe(401);
    const tampered = await postCallback(url, SECRET, body.replace('revoke', 'extend'), {
      timestamp: ts,
      signature: sign(SECRET, ts, body),
    });
    expect(tampered).toEqual({ status: 401, json: { error: 'signature mismatch' } });
    expect(countOf(await rig.ledger(), id)).toEqual({ refused: 1, revoked: 0, extended: 0 });

    // alice revokes: recorded with the webhook identity
    expect(await postCallback(url, SECRET, body, { timestamp: ts })).toEqual({ status: 200, json: { ok: true } });
    const recs = await rig.ledger((rs) => records(rs, id, 'grant_revoked').length > 0);
    expect(records(recs, id, 'grant_revoked').map((r) => r.payload)).toEqual([
      {
        requestId: id,
        scope: 'grant',
        by: `alice (webhook ${ALICE})`,
        reason: 'revoked on webhook by alice',
        approver: 'alice',
        channel: 'webhook',
        identity: ALICE,
        verifiedBy: 'webhook:ops',
      },
    ]);
    const revoked = await delivered(id, 'the revoked update', (d) => d.request.state === 'revoked');
    expect(revoked.grant_actions).toBeUndefined();
    expect(revoked.request.revocable).toBeUndefined();
    expect(revoked.reply_modes).toEqual([]);

    // the same signed callback again: a replay, refused before the daemon
    expect(await postCallback(url, SECRET, body, { timestamp: ts })).toEqual({
      status: 409,
      json: { error: 'replayed callback' },
    });
    // signed afresh (another body: its keys in another order): nothing left to revoke, refused and recorded
    expect(await callback(url, { approver: ALICE, action: 'revoke', request_id: id })).toEqual({
      status: 403,
      json: { error: `request ${id} is revoked: nothing to revoke` },
    });
    const after = await rig.ledger((rs) => records(rs, id, 'approval_refused').length >= 2);
    expect(records(after, id, 'approval_refused').map((r) => [r.payload['action'], r.payload['code']])).toEqual([
      ['revoke', 'unknown-approver'],
      ['revoke', 'nothing-to-revoke'],
    ]);
    expect(countOf(after, id)).toMatchObject({ revoked: 1 });

    // the grant's remaining use is gone: the same command is held for a new approval
    const next = await runIn(rig, 'S-1', 'twice-me');
    expect(next.code).toBe(75);
    expect(/rq-[0-9a-f]{12}/.exec(next.stdout + next.stderr)![0]).not.toBe(id);
    expect(rig.marks()).toHaveLength(1);
  }, 120_000);
});

describe('extending a grant through a webhook callback (real daemon, real receiver)', () => {
  it('extends to the offer and the extra uses run; beyond the bounds, unmapped, stale and unknown actions are refused', async () => {
    const id = await heldIn(rig, 'S-2', 'three-me');
    const { url, live } = await approvedByWebhook(id);
    expect(live.grant_actions).toEqual(['extend', 'revoke']);
    const offer = live.request.extendOffer!;
    expect(offer.from.usesLeft).toBe(1);
    expect(offer.to.usesLeft).toBe(3);
    expect(live.request.liveGrant).toMatchObject({ usesLeft: 1, expiresAt: offer.from.expiresAt });
    const extend = (approver: string, to: { usesLeft: number; expiresAt: string }) =>
      callback(url, { request_id: id, action: 'extend', approver, from: offer.from, to });

    // beyond the rule's bounds: refused with the reason, recorded
    expect(await extend(ALICE, { ...offer.to, usesLeft: 1000 })).toEqual({
      status: 403,
      json: { error: 'at most 3 uses (policy max_uses)' },
    });
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    expect(await extend(ALICE, { usesLeft: 3, expiresAt: tomorrow })).toEqual({
      status: 403,
      json: { error: 'the grant may last at most 3600 s from now (policy max_ttl)' },
    });
    expect(await extend('mallory@x.test', offer.to)).toEqual({
      status: 403,
      json: { error: 'mallory@x.test is not an enrolled approver' },
    });
    // unknown action, malformed extension: 400, nothing reaches the daemon
    const unknown = await callback(url, { request_id: id, action: 'extend-forever', approver: ALICE });
    expect(unknown.status).toBe(400);
    expect(unknown.json['error']).toMatch(/^invalid decision: action: /);
    const noTo = await callback(url, { request_id: id, action: 'extend', approver: ALICE, from: offer.from });
    expect(noTo).toEqual({ status: 400, json: { error: expect.stringMatching(/^invalid decision: to: /) as unknown } });
    const refused = await rig.ledger((rs) => records(rs, id, 'approval_refused').length >= 3);
    expect(records(refused, id, 'approval_refused').map((r) => r.payload)).toEqual([
      expect.objectContaining({ action: 'extend', channel: 'webhook', identity: ALICE, code: 'extend-refused' }),
      expect.objectContaining({ action: 'extend', channel: 'webhook', identity: ALICE, code: 'extend-refused' }),
      expect.objectContaining({ action: 'extend', identity: 'mallory@x.test', code: 'unknown-approver' }),
    ]);
    expect(countOf(refused, id)).toEqual({ refused: 3, revoked: 0, extended: 0 });

    // the offer, by a mapped approver: extended and recorded with the webhook identity
    expect(await extend(ALICE, offer.to)).toEqual({ status: 200, json: { ok: true } });
    const recs = await rig.ledger((rs) => records(rs, id, 'grant_extended').length > 0);
    expect(records(recs, id, 'grant_extended').map((r) => r.payload)).toEqual([
      expect.objectContaining({
        requestId: id,
        approver: 'alice',
        channel: 'webhook',
        identity: ALICE,
        verifiedBy: 'webhook:ops',
        from: offer.from,
        to: offer.to,
      }),
    ]);
    const extended = await delivered(id, 'the extended grant', (d) => d.request.liveGrant?.usesLeft === 3);
    expect(extended.request.liveGrant!.expiresAt).toBe(offer.to.expiresAt);

    // the same extension signed afresh (its keys in another order, so not a replay): the grant is no
    // longer as shown, nothing more is granted
    const again = await callback(url, {
      to: offer.to,
      from: offer.from,
      approver: ALICE,
      action: 'extend',
      request_id: id,
    });
    expect(again.status).toBe(403);
    expect(again.json['error']).toMatch(/^the grant changed since it was shown/);
    expect(countOf(await rig.ledger(), id)).toEqual({ refused: 4, revoked: 0, extended: 1 });

    // three uses, as extended; the fourth is held
    for (let i = 0; i < 3; i++) expect((await runIn(rig, 'S-2', 'three-me')).code).toBe(0);
    expect((await runIn(rig, 'S-2', 'three-me')).code).toBe(75);
  }, 120_000);
});
