/**
 * The verifier's one-pass fast path (src/ledger/record-scan.ts, decision 0217) never accepts a
 * record the full check refuses: against an oracle written here (strict UTF-8, JSON.parse, RFC 8785
 * re-serialization, the envelope fields), on hand-picked non-canonical forms, on random JSON values
 * and on random byte mutations of valid records. What it declines still verifies through the full
 * check, and what the full check refuses is still refused with its reason.
 */
import { generateKeyPairSync } from 'node:crypto';
import { TextDecoder } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VerifyFailedError } from '../../src/ledger/errors.js';
import { leafHash } from '../../src/ledger/merkle.js';
import { rawPublicKey, verifierKey } from '../../src/ledger/note.js';
import { RECORD_TYPES, recordBytes } from '../../src/ledger/record.js';
import { scanRecord } from '../../src/ledger/record-scan.js';
import { LedgerVerifier } from '../../src/ledger/verify.js';
import type { RecordType } from '../../src/ledger/types.js';
import { canonicalize } from '../../src/util/canonical.js';

const PREV = leafHash(Buffer.from('previous')).toString('hex');
const TS = '2026-03-01T08:00:00.000Z';

/** What the full check accepts, decided independently of the scanner. */
function oracle(b: Buffer, seq: number, prev: string): boolean {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(b);
  } catch {
    return false;
  }
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(text) as Record<string, unknown>;
    if (canonicalize(r) !== text) return false;
  } catch {
    return false;
  }
  return (
    r !== null &&
    typeof r === 'object' &&
    Object.keys(r).join() === 'payload,prev,seq,ts,type' &&
    r['seq'] === seq &&
    r['prev'] === prev &&
    typeof r['ts'] === 'string' &&
    /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$/.test(r['ts']) &&
    typeof r['type'] === 'string' &&
    RECORD_TYPES.has(r['type'])
  );
}

const rec = (payload: string, seq = 7, prev = PREV, type = 'request', ts = TS): Buffer =>
  recordBytes(seq, ts, type as RecordType, prev, payload);

describe('record fast path', () => {
  it('accepts canonical records, returning their type', () => {
    for (const p of [
      '{}',
      '[]',
      'null',
      '{"a":[1,-2,0,true,false,null,"x"],"b":{"c":"\\u0001\\n\\"\\\\é€😀\u2028"}}',
      '{"":1,"a":2,"aa":3,"b":4}',
      '{"1":0,"10":0,"2":0}',
      '{"n":999999999999999}',
    ]) {
      expect(scanRecord(rec(p), 7, PREV), p).toBe('request');
      expect(oracle(rec(p), 7, PREV), p).toBe(true);
    }
    expect(scanRecord(rec('{}', 1, ''), 1, '')).toBe('request');
    expect(scanRecord(rec('{}', 12345, PREV, 'approval_refused'), 12345, PREV)).toBe('approval_refused');
  });

  it('declines every non-canonical or malformed form (the full check then refuses it)', () => {
    const bad = [
      '{ }',
      '{"b":1,"a":2}',
      '{"a":1,"a":1}',
      '{"a":-0}',
      '{"a":1.0}',
      '{"a":01}',
      '{"a":1e3}',
      '{"a":"\\u00e9"}',
      '{"a":"\\u000A"}',
      '{"a":"\\u000a"}',
      '{"a":"\\/"}',
      '{"a":"\\ud800"}',
      '{"a":"x\ty"}',
      '{"a":tru}',
      '{"a":[1,]}',
      '{"a":1,}',
      '{"a" :1}',
      '{"a":1',
    ];
    for (const p of bad) {
      expect(scanRecord(rec(p), 7, PREV), p).toBeUndefined();
      expect(oracle(rec(p), 7, PREV), p).toBe(false);
    }
    // envelope: wrong seq, prev, ts, type; trailing bytes; invalid UTF-8
    expect(scanRecord(rec('{}', 8), 7, PREV)).toBeUndefined();
    expect(scanRecord(rec('{}', 7, PREV.replace(/^./, '0')), 7, PREV.replace(/^./, '1'))).toBeUndefined();
    expect(scanRecord(rec('{}', 7, PREV, 'request', '2026-03-01 08:00:00.000Z'), 7, PREV)).toBeUndefined();
    expect(scanRecord(rec('{}', 7, PREV, 'no_such_type'), 7, PREV)).toBeUndefined();
    expect(scanRecord(Buffer.concat([rec('{}'), Buffer.from(' ')]), 7, PREV)).toBeUndefined();
    expect(scanRecord(rec('{"a":"\udc00"}'.replace('\udc00', 'X')).fill(0xff, 14, 15), 7, PREV)).toBeUndefined();
  });

  it('never accepts what the oracle refuses: random values and random byte mutations', () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 4 }),
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.nat(255))),
        (v, at, edits) => {
          const payload = canonicalize(v);
          const b = rec(payload);
          // canonical integers and strings are recognised; whatever is accepted, the oracle accepts
          if (scanRecord(b, 7, PREV) !== undefined) expect(oracle(b, 7, PREV)).toBe(true);
          const outsideStrings = payload.replace(/"(?:[^"\\]|\\.)*"/g, '""');
          if (/^[\x20-\x7e]*$/.test(payload) && !/[.eE]|[0-9]{16}/.test(outsideStrings) && !payload.includes('\\'))
            expect(scanRecord(b, 7, PREV), payload).toBe('request');
          const m = Buffer.from(b);
          for (const [i, byte] of edits) m[(at + i) % m.length] = byte;
          if (scanRecord(m, 7, PREV) !== undefined) expect(oracle(m, 7, PREV), m.toString('latin1')).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('the verifier still refuses non-canonical records with the full reason', () => {
    const key = verifierKey('scan.test/x', rawPublicKey(generateKeyPairSync('ed25519').publicKey));
    for (const [p, reason] of [
      ['{"b":1,"a":2}', /not in canonical JSON form/],
      ['{"a":1,"a":1}', /duplicate JSON key "a"/],
      ['{"a":1.0}', /not in canonical JSON form/],
    ] as const) {
      const v = new LedgerVerifier({ checkpoints: [], trusted: key });
      expect(() => v.push(rec(p, 1, ''))).toThrow(VerifyFailedError);
      expect(() => new LedgerVerifier({ checkpoints: [], trusted: key }).push(rec(p, 1, ''))).toThrow(reason);
    }
    // a declined but canonical record (a fraction) passes through the full check
    const v = new LedgerVerifier({ checkpoints: [], trusted: key });
    const r = v.push(rec('{"a":1.5}', 1, ''));
    expect(r.record['payload']).toEqual({ a: 1.5 });
  });

  it('a streamed record read after the next one was pushed throws instead of reading reused bytes', () => {
    const key = verifierKey('scan.test/x', rawPublicKey(generateKeyPairSync('ed25519').publicKey));
    const v = new LedgerVerifier({ checkpoints: [], trusted: key });
    const first = rec('{"a":1}', 1, '');
    const r1 = v.push(first);
    v.push(rec('{"a":2}', 2, leafHash(first).toString('hex')));
    expect(() => r1.record).toThrow(/read after the next record/);
  });
});
