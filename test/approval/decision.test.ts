import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkDecision,
  verifyDecision,
  type DecisionStatement,
  type SignedDecision,
} from '../../src/approval/index.js';
import { makeApprover } from './helpers.js';

const alice = makeApprover('alice');
const mallory = makeApprover('mallory');
const FP = 'f'.repeat(64);
const now = new Date('2026-03-01T12:00:00.000Z');
const request = { id: 'req-1', fingerprint: FP, createdAt: '2026-03-01T11:59:00.000Z', state: 'pending' };
const statement: DecisionStatement = {
  v: 1,
  requestId: 'req-1',
  fingerprint: FP,
  action: 'approve',
  reason: 'looks fine',
  at: '2026-03-01T11:59:30.000Z',
  approver: 'alice',
};

const check = (signed: unknown, over: Partial<typeof request> = {}, at: Date = now) =>
  checkDecision({
    signed: signed as SignedDecision,
    request: { ...request, ...over },
    approvers: [alice.record, mallory.record],
    now: at,
  });

describe('signed decisions', () => {
  it('accepts a valid signature and returns the approver', () => {
    const signed = alice.key.sign(statement);
    expect(verifyDecision(signed, alice.record)).toBe(true);
    expect(check(signed)).toEqual({ ok: true, approver: alice.record });
  });

  it('survives a JSON round trip (what the socket carries)', () => {
    expect(check(JSON.parse(JSON.stringify(alice.key.sign(statement)))).ok).toBe(true);
  });

  it('refuses a signature by another key (forged as alice)', () => {
    const forged = mallory.key.sign(statement); // mallory signs a statement naming alice
    expect(verifyDecision(forged, alice.record)).toBe(false);
    expect(check(forged)).toMatchObject({ ok: false, code: 'bad-signature' });
  });

  it('refuses every modified statement field', () => {
    const signed = alice.key.sign(statement);
    const changes: Partial<SignedDecision>[] = [
      { requestId: 'req-2' },
      { fingerprint: 'e'.repeat(64) },
      { action: 'deny' },
      { reason: 'changed' },
      { reason: undefined },
      { question: 'added?' },
      { at: '2026-03-01T11:59:31.000Z' },
      { approver: 'mallory' },
    ];
    for (const change of changes) {
      const tampered = { ...signed, ...change };
      if (change.reason === undefined && 'reason' in change) delete tampered.reason;
      const r = check(tampered);
      expect(r.ok, JSON.stringify(change)).toBe(false);
      expect(['bad-signature', 'malformed'], JSON.stringify(change)).toContain((r as { code: string }).code);
    }
    expect(check({ ...signed, v: 2 })).toMatchObject({ code: 'malformed' });
    expect(check({ ...signed, extra: 1 })).toMatchObject({ code: 'malformed' });
  });

  it('refuses a replay for another request and an approval of another fingerprint', () => {
    const signed = alice.key.sign(statement);
    expect(check(signed, { id: 'req-2' })).toMatchObject({ ok: false, code: 'wrong-request' });
    expect(check(signed, { fingerprint: 'e'.repeat(64) })).toMatchObject({ ok: false, code: 'wrong-fingerprint' });
  });

  it('refuses stale and future times', () => {
    const at = (t: string) => alice.key.sign({ ...statement, at: t });
    expect(check(at('2026-03-01T11:50:00.000Z'))).toMatchObject({ code: 'stale' }); // before the request
    expect(check(at('2026-03-01T12:06:00.000Z'))).toMatchObject({ code: 'stale' }); // future beyond skew
    expect(check(at('2026-03-01T11:59:30.000Z'), {}, new Date('2026-03-01T12:10:00.000Z'))).toMatchObject({
      code: 'stale',
    }); // too old
    expect(check(at('2026-03-01T12:04:00.000Z')).ok).toBe(true); // within skew
    expect(
      checkDecision({
        signed: at('2026-03-01T12:04:00.000Z'),
        request,
        approvers: [alice.record],
        now,
        maxSkewSeconds: 60,
      }),
    ).toMatchObject({ code: 'stale' });
  });

  it('refuses unknown approvers and bad request times (closed requests: test/request/vote.test.ts)', () => {
    const signed = alice.key.sign(statement);
    expect(checkDecision({ signed, request, approvers: [mallory.record], now })).toMatchObject({
      code: 'unknown-approver',
    });
    expect(check(signed, { createdAt: 'yesterday' })).toMatchObject({ code: 'malformed' });
    expect(check(signed, {}, new Date(NaN))).toMatchObject({ code: 'malformed' });
  });

  it('refuses malformed base64, wrong lengths, an ask without a question', () => {
    const signed = alice.key.sign(statement);
    for (const signature of [
      '',
      'not base64!',
      `${signed.signature.slice(0, -4)}`,
      `${signed.signature}AAAA`,
      signed.signature.replace(/=*$/, ''),
    ]) {
      expect(check({ ...signed, signature })).toMatchObject({ code: 'malformed' });
    }
    expect(verifyDecision(signed, { ...alice.record, publicKey: 'AAAA' })).toBe(false);
    const ask = alice.key.sign({ ...statement, action: 'ask', reason: undefined });
    expect(check(ask)).toMatchObject({ code: 'malformed' });
    expect(check(alice.key.sign({ ...statement, action: 'ask', question: 'why?' })).ok).toBe(true);
  });

  it('never throws on arbitrary input, and never accepts it', () => {
    const signed = alice.key.sign(statement);
    const near = fc.record({
      v: fc.oneof(fc.constant(1), fc.anything()),
      requestId: fc.oneof(fc.constant('req-1'), fc.string()),
      fingerprint: fc.oneof(fc.constant(FP), fc.string()),
      action: fc.oneof(fc.constantFrom('approve', 'deny', 'ask'), fc.anything()),
      at: fc.oneof(fc.constant(statement.at), fc.string()),
      approver: fc.oneof(fc.constant('alice'), fc.string()),
      signature: fc.oneof(fc.constant(signed.signature), fc.base64String(), fc.anything()),
    });
    fc.assert(
      fc.property(fc.oneof(fc.anything(), near, fc.jsonValue()), (value) => {
        const r = check(value); // none of these carries alice's signed reason, so none may pass
        expect(r.ok).toBe(false);
        if (!r.ok) expect(typeof r.reason).toBe('string');
      }),
      { numRuns: 2000 },
    );
    const hostile = {
      get requestId(): string {
        throw new Error('boom');
      },
    };
    expect(check(hostile)).toMatchObject({ ok: false });
    const r2 = checkDecision({ signed, request: null as never, approvers: [alice.record], now });
    expect(r2).toMatchObject({ ok: false, code: 'malformed' });
  });
});
