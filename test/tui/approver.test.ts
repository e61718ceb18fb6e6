/** The TUI's approver key session, with real key files and real scrypt (at the lowest allowed cost). */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  createApproverKey,
  publicKeyFingerprint,
  verifyDecision,
  WrongPassphraseError,
  type ApproverRecord,
} from '../../src/approval/index.js';
import { ApproverSession, KeyLockedError } from '../../src/tui/approver.js';
import { FAST, tempDirs } from '../approval/helpers.js';

const tmp = tempDirs();
const PASS = 'a long enough passphrase';

function setup(windowMs: number, enrolledKey?: 'other') {
  const home = tmp();
  const created = createApproverKey(Buffer.from(PASS), FAST);
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'bob.key'), created.encrypted);
  const other = createApproverKey(Buffer.from(PASS), FAST);
  const publicKey = enrolledKey === 'other' ? other.publicKey : created.publicKey;
  const record: ApproverRecord = {
    name: 'bob',
    groups: ['ops'],
    publicKey,
    fingerprint: publicKeyFingerprint(publicKey),
    enrolledAt: '2026-01-01T00:00:00Z',
  };
  let clock = 1_000_000;
  const session = new ApproverSession({
    env: { GUARD_APPROVER_HOME: home },
    name: 'bob',
    windowMs,
    now: () => clock,
    enrolled: () => [record],
  });
  return { session, record, advance: (ms: number) => (clock += ms) };
}

const statement = {
  v: 1 as const,
  requestId: 'rq-00000000000a',
  fingerprint: 'f'.repeat(64),
  action: 'approve' as const,
  at: '2026-11-22T09:00:00.000Z',
  approver: 'bob',
};

describe('ApproverSession', () => {
  test('locked until unlocked; signs verifiably inside the window; locked again after it', () => {
    const { session, record, advance } = setup(60_000);
    expect(() => session.sign(statement)).toThrow(KeyLockedError);
    const pass = Buffer.from(PASS);
    expect(session.unlock(pass)).toBe(1_060_000);
    expect(pass.every((b) => b === 0)).toBe(true); // the passphrase buffer is zeroed
    const signed = session.sign(statement);
    expect(verifyDecision(signed, record)).toBe(true);
    advance(59_999);
    expect(() => session.sign(statement)).not.toThrow();
    advance(1);
    expect(() => session.sign(statement)).toThrow(/unlock window is over/);
    expect(session.unlockedUntil()).toBeUndefined();
  });

  test('a window of 0 signs exactly one decision per unlock', () => {
    const { session } = setup(0);
    session.unlock(Buffer.from(PASS));
    session.sign(statement);
    expect(() => session.sign(statement)).toThrow(KeyLockedError);
  });

  test('a wrong passphrase unlocks nothing', () => {
    const { session } = setup(60_000);
    expect(() => session.unlock(Buffer.from('wrong'))).toThrow(WrongPassphraseError);
    expect(() => session.sign(statement)).toThrow(KeyLockedError);
  });

  test('a key file that is not the enrolled key is refused', () => {
    const { session } = setup(60_000, 'other');
    expect(() => session.unlock(Buffer.from(PASS))).toThrow(/not bob's enrolled key/);
    expect(() => session.sign(statement)).toThrow(KeyLockedError);
  });

  test('lock disposes the key at once', () => {
    const { session } = setup(60_000);
    session.unlock(Buffer.from(PASS));
    session.lock();
    expect(() => session.sign(statement)).toThrow(KeyLockedError);
  });
});
