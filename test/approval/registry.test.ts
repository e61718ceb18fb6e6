import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkEndorsement,
  loadApprovers,
  registerApprover,
  saveApprover,
  signEndorsement,
  type Candidate,
  type Endorsement,
} from '../../src/approval/index.js';
import { FailClosedError, UsageError } from '../../src/errors.js';
import { makeApprover, tempDirs } from './helpers.js';

const candidateOf = (
  name: string,
  groups = ['sre'],
): { cand: Candidate; key: ReturnType<typeof makeApprover>['key'] } => {
  const a = makeApprover(name, groups);
  return { cand: { name, groups, publicKey: a.record.publicKey, osUser: name }, key: a.key };
};

describe('approver registry', () => {
  const tmp = tempDirs();

  it('saves atomically with 0700 dir / 0600 file and loads what it saved', () => {
    const dir = join(tmp(), 'approvers');
    const a = makeApprover('alice', ['sre', 'dba'], { osUser: 'alice', email: 'a@example.com' }).record;
    saveApprover(dir, a);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'alice.json')).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['alice.json']);
    expect(loadApprovers(dir)).toEqual([a]);
    expect(loadApprovers(join(dir, 'missing'))).toEqual([]);
  });

  it('refuses to save an invalid record', () => {
    const dir = tmp();
    const a = makeApprover('alice').record;
    expect(() => saveApprover(dir, { ...a, name: '../x' })).toThrow(UsageError);
    expect(() => saveApprover(dir, { ...a, fingerprint: '0'.repeat(64) })).toThrow(/fingerprint/);
    expect(() => saveApprover(dir, { ...a, groups: [] })).toThrow(UsageError);
  });

  it('fails closed on any bad file instead of skipping it', () => {
    const cases: [string, (dir: string) => void][] = [
      ['not JSON', (d) => writeFileSync(join(d, 'x.json'), '{')],
      ['schema', (d) => writeFileSync(join(d, 'x.json'), JSON.stringify({ name: 'x' }))],
      ['name mismatch', (d) => writeFileSync(join(d, 'x.json'), JSON.stringify(makeApprover('y').record))],
      [
        'fingerprint',
        (d) =>
          writeFileSync(
            join(d, 'x.json'),
            JSON.stringify({ ...makeApprover('x').record, fingerprint: '1'.repeat(64) }),
          ),
      ],
      ['directory', (d) => mkdirSync(join(d, 'x.json'))],
      ['group-writable dir', (d) => chmodSync(d, 0o770)],
    ];
    for (const [what, make] of cases) {
      const dir = tmp();
      chmodSync(dir, 0o700);
      make(dir);
      expect(() => loadApprovers(dir), what).toThrow(FailClosedError);
    }
  });

  it('bootstrap: the first approver needs no endorsement, and takes none', () => {
    const dir = tmp();
    const { cand: a } = candidateOf('alice');
    const { cand: b, key: bKey } = candidateOf('bob');
    expect(() => registerApprover(dir, a, signEndorsement(bKey, 'bob', a))).toThrow(/bootstrap/);
    const rec = registerApprover(dir, a);
    expect(rec.endorsedBy).toBeUndefined();
    expect(loadApprovers(dir).map((r) => r.name)).toEqual(['alice']);
    // once one exists, an unendorsed enrollment is refused
    expect(() => registerApprover(dir, b)).toThrow(/needs an endorsement/);
    expect(loadApprovers(dir).map((r) => r.name)).toEqual(['alice']);
  });

  it('accepts an endorsement by an enrolled approver for exactly this candidate', () => {
    const dir = tmp();
    const { cand: a, key: aKey } = candidateOf('alice');
    registerApprover(dir, a);
    const { cand: b } = candidateOf('bob');
    const rec = registerApprover(dir, b, signEndorsement(aKey, 'alice', b));
    expect(rec.endorsedBy).toBe('alice');
    expect(loadApprovers(dir).map((r) => r.name)).toEqual(['alice', 'bob']);
    expect(() => registerApprover(dir, b, signEndorsement(aKey, 'alice', b))).toThrow(/already enrolled/);
    expect(() => registerApprover(dir, { ...candidateOf('eve').cand, publicKey: b.publicKey })).toThrow(
      /already enrolled under another name/,
    );
  });

  it('refuses forged, self-made, altered, reused and stale endorsements', () => {
    const dir = tmp();
    const { cand: a, key: aKey } = candidateOf('alice');
    const t0 = new Date('2026-03-01T12:00:00.000Z');
    registerApprover(dir, a, undefined, t0);
    const { cand: m, key: mKey } = candidateOf('mallory', ['sre', 'admins']);
    const refused = (why: RegExp, e: Endorsement, c: Candidate = m, at = t0) => {
      expect(() => registerApprover(dir, c, e, at)).toThrow(UsageError);
      expect(() => registerApprover(dir, c, e, at)).toThrow(why);
    };
    // forged: signed with the agent's own fresh key, claiming alice
    refused(/not signed by alice's key/, signEndorsement(mKey, 'alice', m, t0));
    // self-endorsement by a name that is not enrolled
    refused(/"mallory" is not an enrolled approver/, signEndorsement(mKey, 'mallory', m, t0));
    // a real endorsement for someone else reused for mallory, or with fields changed afterwards
    const { cand: b } = candidateOf('bob');
    const forBob = signEndorsement(aKey, 'alice', b, t0);
    refused(/different name, groups/, forBob);
    const forM = signEndorsement(aKey, 'alice', { ...m, groups: ['sre'] }, t0);
    refused(/different name, groups/, forM); // candidate asks for more groups than endorsed
    refused(/not signed by alice's key/, { ...forM, groups: ['sre', 'admins'] }); // signature no longer matches
    refused(/different name, groups/, signEndorsement(aKey, 'alice', { ...m, osUser: 'someone-else' }, t0)); // identity differs
    // stale and future
    refused(/older than 15 minutes/, signEndorsement(aKey, 'alice', m, t0), m, new Date(t0.getTime() + 16 * 60_000));
    refused(/in the future/, signEndorsement(aKey, 'alice', m, new Date(t0.getTime() + 10 * 60_000)));
    expect(loadApprovers(dir).map((r) => r.name)).toEqual(['alice']);
    // and the genuine one passes
    expect(registerApprover(dir, m, signEndorsement(aKey, 'alice', m, t0), t0).endorsedBy).toBe('alice');
  });

  it('checkEndorsement never throws on junk', () => {
    const a = makeApprover('alice').record;
    for (const junk of [
      null,
      1,
      'x',
      {},
      { v: 1, kind: 'enroll' },
      [],
      {
        get v() {
          throw new Error('boom');
        },
      },
    ]) {
      expect(checkEndorsement(junk as unknown as Endorsement, [a], new Date()).ok).toBe(false);
    }
  });

  it('serialises enrollments with a lock and clears a stale one', () => {
    const dir = tmp();
    writeFileSync(join(dir, '.enroll.lock'), String(process.pid)); // held by a live process
    expect(() => registerApprover(dir, candidateOf('alice').cand)).toThrow(/another enrollment is in progress/);
    writeFileSync(join(dir, '.enroll.lock'), '999999999'); // holder gone
    expect(registerApprover(dir, candidateOf('alice').cand).name).toBe('alice');
    expect(readdirSync(dir)).toEqual(['alice.json']);
    expect((JSON.parse(readFileSync(join(dir, 'alice.json'), 'utf8')) as { name: string }).name).toBe('alice');
  });
});
