import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  approverKeyPath,
  newApproverKeyPath,
  createApproverKey,
  publicKeyFingerprint,
  readKeyFile,
  unlockApproverKey,
  verifyDecision,
  writeKeyFile,
  WrongPassphraseError,
  type DecisionStatement,
} from '../../src/approval/index.js';
import { UsageError } from '../../src/errors.js';
import { FAST, makeApprover, tempDirs } from './helpers.js';

const pass = Buffer.from('correct horse battery staple');
const statement: DecisionStatement = {
  v: 1,
  requestId: 'r1',
  fingerprint: 'a'.repeat(64),
  action: 'approve',
  at: '2026-01-01T00:00:00.000Z',
  approver: 'alice',
};

describe('approver keys', () => {
  const tmp = tempDirs();

  it('round-trips at the default (production) cost and signs verifiably', () => {
    const created = createApproverKey(pass);
    expect(created.fingerprint).toBe(publicKeyFingerprint(created.publicKey));
    expect(JSON.parse(created.encrypted)).toMatchObject({
      format: 'guard-approver-key',
      kdf: { name: 'scrypt', N: 2 ** 17, r: 8, p: 1 },
    });
    expect(created.encrypted).not.toContain(pass.toString());
    const key = unlockApproverKey(created.encrypted, pass);
    expect(key.publicKey).toBe(created.publicKey);
    const signed = key.sign(statement);
    expect(verifyDecision(signed, { ...makeApprover('x').record, name: 'alice', publicKey: created.publicKey })).toBe(
      true,
    );
  });

  it('refuses a wrong passphrase with WrongPassphraseError (a UsageError)', () => {
    const created = createApproverKey(pass, FAST);
    const err = (() => {
      try {
        unlockApproverKey(created.encrypted, Buffer.from('correct horse battery stapler'));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(WrongPassphraseError);
    expect(err).toBeInstanceOf(UsageError);
  });

  it('refuses a tampered ciphertext, tag, nonce, salt or public key', () => {
    const created = createApproverKey(pass, FAST);
    const flip = (b64: string) => {
      const b = Buffer.from(b64, 'base64');
      b[0] = b[0]! ^ 1;
      return b.toString('base64');
    };
    const other = createApproverKey(pass, FAST).publicKey;
    interface KeyJson {
      ciphertext: string;
      tag: string;
      publicKey: string;
      cipher: { nonce: string };
      kdf: { salt: string; N: number };
    }
    const mutations: ((f: KeyJson) => void)[] = [
      (f) => (f.ciphertext = flip(f.ciphertext)),
      (f) => (f.tag = flip(f.tag)),
      (f) => (f.cipher.nonce = flip(f.cipher.nonce)),
      (f) => (f.kdf.salt = flip(f.kdf.salt)),
      (f) => (f.publicKey = other),
    ];
    for (const mutate of mutations) {
      const f = JSON.parse(created.encrypted) as KeyJson;
      mutate(f);
      expect(() => unlockApproverKey(JSON.stringify(f), pass)).toThrow(WrongPassphraseError);
    }
  });

  it('refuses malformed files and out-of-range scrypt costs without trying them', () => {
    const created = createApproverKey(pass, FAST);
    expect(() => unlockApproverKey('not json', pass)).toThrow(/not a valid guard approver key file/);
    expect(() => unlockApproverKey('{}', pass)).toThrow(/unknown format/);
    for (const N of [2 ** 10, 2 ** 24, 3 * 2 ** 14]) {
      const f = JSON.parse(created.encrypted) as { kdf: { N: number } };
      f.kdf.N = N;
      expect(() => unlockApproverKey(JSON.stringify(f), pass)).toThrow(/kdf cost out of range/);
    }
    expect(() => createApproverKey(Buffer.alloc(0), FAST)).toThrow(/empty/);
  });

  it('cannot sign after dispose', () => {
    const { key } = makeApprover('alice');
    key.dispose();
    expect(() => key.sign(statement)).toThrow(/disposed/);
  });

  it('signs only the statement fields, whatever else the object carries', () => {
    const { key, record } = makeApprover('alice');
    const signed = key.sign({ ...statement, extra: 'x' } as DecisionStatement);
    expect(signed).not.toHaveProperty('extra');
    expect(verifyDecision(signed, record)).toBe(true);
  });

  it('gives each explicit GUARD_HOME its own key directory, outside it; reads fall back to keys enrolled before', () => {
    const home = tmp();
    const envA = { HOME: home, GUARD_HOME: join(home, 'a') };
    const envB = { HOME: home, GUARD_HOME: join(home, 'b') };
    const a = newApproverKeyPath(envA, 'alice');
    const b = newApproverKeyPath(envB, 'alice');
    expect(a).not.toBe(b);
    for (const p of [a, b]) {
      expect(p.startsWith(join(home, '.config', 'guard-approver', 'homes'))).toBe(true);
      expect(p.startsWith(join(home, 'a'))).toBe(false);
    }
    // the same installation named another way is the same directory
    expect(newApproverKeyPath({ HOME: home, GUARD_HOME: `${join(home, 'a')}/./` }, 'alice')).toBe(a);
    // enrolling alice in both installations: no collision
    writeKeyFile(a, 'key-a');
    writeKeyFile(b, 'key-b');
    expect(readKeyFile(approverKeyPath(envA, 'alice'))).toBe('key-a');
    expect(readKeyFile(approverKeyPath(envB, 'alice'))).toBe('key-b');
    // a key enrolled in the shared directory before is still found; a new enrolment goes to the own one
    writeKeyFile(approverKeyPath({ HOME: home }, 'bob'), 'old-bob');
    expect(readKeyFile(approverKeyPath(envA, 'bob'))).toBe('old-bob');
    expect(newApproverKeyPath(envA, 'bob')).not.toBe(approverKeyPath(envA, 'bob'));
  });

  it('keeps the key file outside GUARD_HOME, in a 0700 dir, file 0600, never overwritten', () => {
    const home = tmp();
    expect(approverKeyPath({ GUARD_APPROVER_HOME: join(home, 'a'), GUARD_HOME: join(home, 'g') }, 'alice')).toBe(
      join(home, 'a', 'alice.key'),
    );
    expect(approverKeyPath({ XDG_CONFIG_HOME: join(home, 'x'), GUARD_HOME: join(home, 'g') }, 'alice')).toMatch(
      new RegExp(`^${join(home, 'x', 'guard-approver', 'homes')}/[0-9a-f]{16}/alice\\.key$`),
    );
    expect(approverKeyPath({ HOME: home }, 'alice')).toBe(join(home, '.config', 'guard-approver', 'alice.key'));
    expect(() => approverKeyPath({ HOME: home }, '../evil')).toThrow(UsageError);
    const path = approverKeyPath({ GUARD_APPROVER_HOME: join(home, 'a') }, 'alice');
    writeKeyFile(path, 'secret');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'a')).mode & 0o777).toBe(0o700);
    expect(() => writeKeyFile(path, 'other')).toThrow(/already exists/);
    expect(readKeyFile(path)).toBe('secret');
    expect(() => readKeyFile(join(home, 'none.key'))).toThrow(/no approver key/);
  });

  it('tightens an existing approver dir to 0700', () => {
    const home = tmp();
    const dir = join(home, 'a');
    writeKeyFile(join(dir, 'one.key'), 'x');
    writeFileSync(join(dir, 'unrelated'), '');
    chmodSync(dir, 0o755);
    writeKeyFile(join(dir, 'two.key'), 'y');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });
});
