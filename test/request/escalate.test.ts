/**
 * Policy `escalate` against the pure core: exact boundary, once only, never a closed request, and
 * the escalation group may decide only afterwards.
 */
import { describe, expect, it } from 'vitest';
import { Refused, type Refusal } from '../../src/request/refusal.js';
import { transition, type Change } from '../../src/request/transition.js';
import { makeApprover } from '../approval/helpers.js';
import { alice, approvers, CREATED, request, signed, t } from './fixtures.js';

function ok(out: Change | Refusal): Change {
  if ('refused' in out) throw new Error(`refused: ${out.refused}: ${out.reason}`);
  return out;
}
const code = (out: Change | Refusal): string | undefined => ('refused' in out ? out.refused : undefined);

const dave = makeApprover('dave', ['oncall']);
const all = [...approvers, dave.record];
const DUE = t('2026-03-01T12:05:00.000Z');
const escalating = () => request({ groups: ['sre'], escalate: { afterSeconds: 300, to: 'oncall' } });

describe('escalate', () => {
  it('is not due one millisecond before `after` and happens exactly at it, with one reminder', () => {
    const r = escalating();
    expect(code(transition(r, { type: 'escalate' }, new Date(DUE.getTime() - 1), all))).toBe(Refused.NotDue);
    const out = ok(transition(r, { type: 'escalate' }, DUE, all));
    expect(out.next.settings.groups).toEqual(['sre', 'oncall']);
    expect(out.next.escalatedAt).toBe(DUE.toISOString());
    expect(out.next.view.escalatedTo).toBe('oncall');
    expect(out.next.state).toBe('pending');
    expect(out.records).toEqual([
      { type: 'request_escalated', payload: { requestId: 'rq-1', to: 'oncall', afterSeconds: 300 } },
      { type: 'request_reminder', payload: { requestId: 'rq-1', reason: 'nobody has decided yet' } },
    ]);
  });

  it('happens once', () => {
    const once = ok(transition(escalating(), { type: 'escalate' }, DUE, all)).next;
    expect(code(transition(once, { type: 'escalate' }, t('2026-03-01T12:09:00.000Z'), all))).toBe(Refused.NoEscalation);
  });

  it('never escalates a closed request or one whose rule does not escalate', () => {
    for (const state of ['approved', 'denied', 'expired', 'cancelled', 'revoked'] as const) {
      const closed = { ...escalating(), state };
      expect(code(transition(closed, { type: 'escalate' }, DUE, all))).toBe(Refused.NotPending);
    }
    expect(code(transition(request({ groups: ['sre'] }), { type: 'escalate' }, DUE, all))).toBe(Refused.NoEscalation);
  });

  it('an escalation group member is refused before and counted after', () => {
    const r = escalating();
    const at = t('2026-03-01T12:06:00.000Z');
    const ballot = signed(dave, 'approve', { at: at.toISOString() });
    expect(code(transition(r, { type: 'vote', ballot }, at, all))).toBe(Refused.Ineligible);
    const escalated = ok(transition(r, { type: 'escalate' }, DUE, all)).next;
    const out = ok(transition(escalated, { type: 'vote', ballot }, at, all));
    expect(out.next.state).toBe('approved');
  });

  it('a request someone already voted on escalates without a reminder', () => {
    const r = request({ groups: ['sre'], quorum: 2, escalate: { afterSeconds: 300, to: 'oncall' } });
    const voted = ok(
      transition(r, { type: 'vote', ballot: signed(alice, 'approve', { at: CREATED }) }, t(CREATED), all),
    ).next;
    const out = ok(transition(voted, { type: 'escalate' }, DUE, all));
    expect(out.records.map((x) => x.type)).toEqual(['request_escalated']);
  });
});
