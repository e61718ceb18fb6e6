/**
 * Extending and revoking a live grant from Teams (issue #23, decision 1111) with a real daemon and a
 * local server answering the way channels/teams-grant-flow.json does: approval cards are answered
 * Approve at once; a live-grant card (`guard.card: "live_grant"`) is answered 202 + Location, and
 * the Location answers `{grant_action, responder: {email}}` when the test gives it one. The answer
 * goes through the daemon's channel paths (host.extend / host.revoke), so eligibility, the grant as
 * shown, the rule's bounds and the records are those of Slack and webhook callbacks; every refused
 * answer leaves the grant as it was and a fresh card is posted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerRow, Rig } from '../daemon/helpers.js';
import { heldIn, runIn } from '../helpers/scoped-rule.js';
import { until } from './helpers.js';
import { Receiver, type Received } from './receiver.js';
import { teamsRig } from './teams-rig.js';

interface Choice {
  title: string;
  value: string;
}
interface Card {
  requestId: string;
  run: number;
  kind: 'live' | 'status';
  text: string;
  choices: Choice[];
  guard: Record<string, unknown>;
}

let rig: Rig;
let flow: Receiver;
const cards: Card[] = [];
/** Answers of live-grant cards' runs, by run number: absent, the Location answers 202. */
const runs = new Map<number, Record<string, unknown>>();
/** Live-grant cards the flow answers at once, but only when `until` settles: the first card whose text has `text`. */
const held: { text: string; answer: (card: Card) => Record<string, unknown>; until: Promise<void> }[] = [];

function cardOf(req: Received, run: number): Card {
  const guard = (req.json?.['guard'] ?? {}) as Record<string, unknown>;
  const content = (req.json?.['attachments'] as { content: { body: Record<string, unknown>[] } }[])[0]!.content;
  const set = content.body.find((b) => b['id'] === 'guard_grant_action') as { choices: Choice[] } | undefined;
  return {
    requestId: String(guard['request_id']),
    run,
    kind: guard['card'] === 'live_grant' ? 'live' : 'status',
    text: JSON.stringify(content),
    choices: set?.choices ?? [],
    guard,
  };
}

beforeAll(async () => {
  flow = new Receiver('unused', (req) => {
    if (req.method === 'GET') {
      const run = Number(/\/runs\/([0-9]+)/.exec(req.path)?.[1]);
      const answer = runs.get(run);
      return answer === undefined ? { status: 202 } : { status: 200, body: JSON.stringify(answer) };
    }
    const guard = (req.json?.['guard'] ?? {}) as { wants_approval?: boolean; card?: string };
    if (guard.card === 'live_grant') {
      const card = cardOf(req, cards.length);
      cards.push(card);
      const at = held.findIndex((h) => card.text.includes(h.text));
      const [hold] = at < 0 ? [] : held.splice(at, 1);
      if (hold !== undefined) return hold.until.then(() => ({ status: 200, body: JSON.stringify(hold.answer(card)) }));
      return { status: 202, headers: { location: `${flow.url}/runs/${card.run}` } };
    }
    if (guard.wants_approval === true)
      return {
        status: 200,
        body: JSON.stringify({ outcome: 'Approve', responder: { email: 'alice@example.test' }, comments: 'ok' }),
      };
    cards.push(cardOf(req, cards.length));
    return { status: 200, body: '{}' };
  });
  await flow.start();
  rig = await teamsRig(flow.url, '    poll_interval_seconds: 1\n    grant_actions: true\n');
}, 120_000);

afterAll(async () => {
  await rig?.cleanup();
  await flow?.stop();
});

const records = (recs: LedgerRow[], id: string, type: string) =>
  recs.filter((r) => r.type === type && r.payload['requestId'] === id);
const liveCards = (id: string) => cards.filter((c) => c.requestId === id && c.kind === 'live');

/** The n-th (1-based) live-grant card of a request, once posted. */
async function liveCard(id: string, n: number): Promise<Card> {
  await until(() => liveCards(id).length >= n, `live-grant card ${n} of ${id}`);
  return liveCards(id)[n - 1]!;
}

/** The ledger once the request has a refusal, and its first refusal's payload. */
async function firstRefusal(id: string): Promise<{ recs: LedgerRow[]; refused: Record<string, unknown> }> {
  const recs = await rig.ledger((rs) => records(rs, id, 'approval_refused').length > 0);
  return { recs, refused: records(recs, id, 'approval_refused')[0]!.payload };
}

/** Answers a live-grant card as the flow does. */
const answer = (card: Card, grantAction: string, email = 'alice@example.test') =>
  runs.set(card.run, { grant_action: grantAction, responder: { email } });

describe('extend and revoke a live grant from Teams (real daemon)', () => {
  it('extends to the daemon’s offer, recorded with the responder; forged, moved, malformed, unmapped and replayed answers are refused', async () => {
    const id = await heldIn(rig, 'S-1', 'three-me');
    const first = await liveCard(id, 1);
    expect(first.guard).toMatchObject({ wants_approval: true, state: 'approved', card: 'live_grant' });
    expect(first.text).toContain('Grant (exactly as approved)');
    expect(first.text).toMatch(/exactly `[^"]*three-me` in [^"]*, at most 1 use within/);
    expect(first.text).toContain('1 when this card was posted');
    expect(first.text).toContain('Action.Submit');
    const [extend, revoke] = first.choices;
    expect(revoke).toEqual({ title: 'Revoke the grant now', value: `revoke ${id}` });
    expect(extend!.title).toMatch(/^Extend to 3 uses left until \S+ \(the most this rule allows\)$/);
    const [, , fromUses, fromExpires, toUses, toExpires] = extend!.value.split(' ');
    expect([fromUses, toUses]).toEqual(['1', '3']);
    expect(Date.parse(toExpires!)).toBeLessThanOrEqual(Date.now() + 3600_000);

    // beyond the rule's max_uses: the daemon refuses and records it
    answer(first, `extend ${id} ${fromUses} ${fromExpires} 1000 ${toExpires}`);
    const second = await liveCard(id, 2);
    // a responder who is no approver
    answer(second, extend!.value, 'mallory@example.test');
    const third = await liveCard(id, 3);
    // a value moved from another request's card, and malformed answers: refused before the daemon
    answer(third, extend!.value.replace(id, 'rq-000000000000'));
    const fourth = await liveCard(id, 4);
    answer(fourth, `extend ${id} 1 ${fromExpires} 3 tomorrow`);
    const fifth = await liveCard(id, 5);
    runs.set(fifth.run, { outcome: 'Approve', responder: { email: 'alice@example.test' } });
    const sixth = await liveCard(id, 6);
    let recs = await rig.ledger((rs) => records(rs, id, 'approval_refused').length >= 2);
    expect(records(recs, id, 'grant_extended')).toHaveLength(0);

    // the offer, by alice: applied and recorded with the Teams identity
    answer(sixth, extend!.value);
    recs = await rig.ledger((rs) => records(rs, id, 'grant_extended').length > 0);
    expect(records(recs, id, 'grant_extended')[0]!.payload).toMatchObject({
      approver: 'alice',
      channel: 'teams',
      identity: 'alice@example.test',
      verifiedBy: `teams:${new URL(flow.url).host}`,
      from: { usesLeft: 1, expiresAt: fromExpires },
      to: { usesLeft: 3, expiresAt: toExpires },
    });
    // a fresh card shows the extended grant; the old extension replayed on it is refused
    const fresh = await liveCard(id, 7);
    expect(fresh.text).toContain('3 when this card was posted');
    expect(fresh.text).toContain(toExpires);
    answer(fresh, extend!.value);
    await liveCard(id, 8);
    recs = await rig.ledger((rs) => records(rs, id, 'approval_refused').length >= 3);
    expect(
      records(recs, id, 'approval_refused').map((r) => [r.payload['action'], r.payload['channel'], r.payload['code']]),
    ).toEqual([
      ['extend', 'teams', 'extend-refused'],
      ['extend', 'teams', 'unknown-approver'],
      ['extend', 'teams', 'extend-refused'],
    ]);
    expect(records(recs, id, 'approval_refused').map((r) => r.payload['reason'])).toEqual([
      'at most 3 uses (policy max_uses)',
      'mallory@example.test is not an enrolled approver',
      expect.stringMatching(/^the grant changed since it was shown/),
    ]);
    expect(records(recs, id, 'grant_extended')).toHaveLength(1);

    // three uses, as extended (the approval gave one); using them posts no new card; the fourth is held
    for (let i = 0; i < 3; i++) expect((await runIn(rig, 'S-1', 'three-me')).code).toBe(0);
    expect(rig.marks()).toHaveLength(3);
    await until(
      () => cards.some((c) => c.requestId === id && c.kind === 'status' && c.text.includes('Grant ended')),
      'the final card',
    );
    const ended = cards.filter((c) => c.requestId === id && c.kind === 'status').at(-1)!;
    expect(ended.text).toContain('no uses are left');
    expect(ended.guard['wants_approval']).toBe(false);
    expect(ended.text).not.toMatch(/"Action\.|"Input\./);
    expect(liveCards(id)).toHaveLength(8);
    expect((await runIn(rig, 'S-1', 'three-me')).code).toBe(75);
    expect(rig.marks()).toHaveLength(3);
  }, 120_000);

  it('revoke: an unmapped responder is refused and recorded; alice’s revoke is recorded and the next command is held again', async () => {
    const id = await heldIn(rig, 'S-2', 'three-me', 'revoked');
    const first = await liveCard(id, 1);
    answer(first, `revoke ${id}`, 'mallory@example.test');
    const second = await liveCard(id, 2);
    const refusal = await firstRefusal(id);
    expect(refusal.refused).toMatchObject({
      action: 'revoke',
      identity: 'mallory@example.test',
      code: 'unknown-approver',
    });
    expect(records(refusal.recs, id, 'grant_revoked')).toHaveLength(0);

    answer(second, `revoke ${id}`);
    const recs = await rig.ledger((rs) => records(rs, id, 'grant_revoked').length > 0);
    expect(records(recs, id, 'grant_revoked').map((r) => r.payload)).toEqual([
      {
        requestId: id,
        scope: 'grant',
        by: 'alice (teams alice@example.test)',
        reason: 'revoked on teams by alice',
        approver: 'alice',
        channel: 'teams',
        identity: 'alice@example.test',
        verifiedBy: `teams:${new URL(flow.url).host}`,
      },
    ]);
    await until(
      () => cards.some((c) => c.requestId === id && c.kind === 'status' && c.guard['state'] === 'revoked'),
      'the Revoked card',
    );
    const next = await runIn(rig, 'S-2', 'three-me', 'revoked');
    expect(next.code).toBe(75);
    expect(/rq-[0-9a-f]{12}/.exec(next.stdout + next.stderr)![0]).not.toBe(id);
    expect(liveCards(id)).toHaveLength(2);
  }, 120_000);

  it('an extension answered after the grant was revoked on the host is refused and recorded; no fresh card, nothing granted', async () => {
    let release = (): void => undefined;
    const gate = new Promise<void>((r) => (release = r));
    held.push({
      text: 'three-me ended',
      answer: (card) => ({ grant_action: card.choices[0]!.value, responder: { email: 'alice@example.test' } }),
      until: gate,
    });
    const id = await heldIn(rig, 'S-3', 'three-me', 'ended');
    const card = await liveCard(id, 1);
    expect(card.choices[0]!.value).toMatch(/^extend /);
    expect((await rig.guard(['revoke', id])).code).toBe(0);
    await rig.ledger((rs) => records(rs, id, 'grant_revoked').length > 0);
    release();
    const { recs, refused } = await firstRefusal(id);
    expect(refused).toMatchObject({ action: 'extend', channel: 'teams', code: 'extend-refused' });
    expect(records(recs, id, 'grant_extended')).toHaveLength(0);
    await until(
      () => cards.some((c) => c.requestId === id && c.kind === 'status' && c.guard['state'] === 'revoked'),
      'the Revoked card',
    );
    expect(liveCards(id)).toHaveLength(1);
    expect((await runIn(rig, 'S-3', 'three-me', 'ended')).code).toBe(75);
  }, 120_000);
});
