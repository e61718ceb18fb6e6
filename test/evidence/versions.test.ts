/**
 * approvers.csv and the policy versions, from a real ledger: enrolments (with the endorser),
 * a refused enrolment and a removal (`approver_removed`) are listed; an approval counted after
 * the approver's removal is an exception; each policy version carries rule digests and policies.csv
 * names the rules added, removed and changed from the version before. Rule digests come from a
 * real compiled policy; moving a rule in its file is no change.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/evidence/csv.js';
import { buildPack } from '../../src/evidence/pack.js';
import { diffRules, ruleDigests } from '../../src/evidence/rule-digests.js';
import { parsePubkeyFile } from '../../src/ledger/pubkey.js';
import type { VerifierKey } from '../../src/ledger/note.js';
import { compilePolicy, createEngine, type Engine } from '../../src/policy/index.js';
import { makeHome, open, type TestHome } from '../ledger/helpers.js';

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'guard.js');
let engine: Engine;
let home: TestHome;
let out: string;

const rule = (id: string, effect: string, arg: string): string =>
  `  - id: ${id}\n    description: rule ${id}\n    effect: ${effect}\n    match: { program: mark, any_arg: [${arg}] }\n`;
const compile = (rules: string): ReturnType<typeof compilePolicy>['policy'] =>
  compilePolicy([{ file: 'p.yaml', layer: 'user', text: `version: 1\nrules:\n${rules}` }], { engine }).policy;

const csv = (p: string): Record<string, string>[] => {
  const [head, ...rows] = parseCsv(readFileSync(p, 'utf8'));
  return rows.map((r) => Object.fromEntries(head!.map((x, i) => [x, r[i] ?? ''])));
};

async function held(l: Awaited<ReturnType<typeof open>>, id: string, approver: string): Promise<void> {
  await l.append('request', { requestId: id, command: `mark ${id}`, requester: { user: 'agent' }, fingerprint: 'f' });
  await l.append('decision', {
    requestId: id,
    source: 'policy',
    effect: 'approve',
    risk: 'high',
    rules: ['r.held'],
    policyDigest: 'sha256:v1',
  });
  await l.append('approval', {
    requestId: id,
    approver,
    action: 'approve',
    channel: 'cli',
    at: '',
    fingerprint: 'f',
    signature: 'c2ln',
    key: `sha256:${approver}`,
  });
  await l.append('decision', { requestId: id, source: 'quorum', state: 'approved', approvers: [approver] });
}

let v1: Record<string, string>;
let v2: Record<string, string>;

beforeAll(async () => {
  engine = await createEngine();
  v1 = ruleDigests(compile(rule('r.keep', 'deny', 'k') + rule('r.gone', 'deny', 'g') + rule('r.edit', 'deny', 'e')));
  v2 = ruleDigests(compile(rule('r.keep', 'deny', 'k') + rule('r.edit', 'approve', 'e') + rule('r.new', 'deny', 'n')));
  home = makeHome();
  const l = await open(home, { policyDigest: 'sha256:v1', policyRules: v1 });
  await l.append('approver_enrolled', { name: 'alice', groups: ['ops'], key: 'sha256:aa', enrolledAt: 'x' });
  await l.append('approver_enrolled', {
    name: 'bob',
    groups: ['ops', 'dba'],
    key: 'sha256:bb',
    endorsedBy: 'alice',
    peer: { uid: 0, user: 'root' },
    enrolledAt: 'x',
  });
  await l.append('approver_enroll_refused', {
    name: 'mallory',
    groups: ['ops'],
    key: 'sha256:mm',
    peer: { uid: 1234, user: 'agent' },
    reason: 'user agent may not enroll approvers',
  });
  const fields = (key: string, groups: string[]) => ({ groups, key, osUser: 'alice' });
  await l.append('approver_updated', {
    name: 'alice',
    kind: 'update',
    signer: 'bob',
    at: 'x',
    before: fields('sha256:aa', ['ops']),
    after: fields('sha256:aa', ['ops', 'dba']),
    peer: { uid: 0, user: 'root' },
  });
  await l.append('approver_rotated', {
    name: 'alice',
    kind: 'rotate',
    signer: 'alice',
    at: 'x',
    before: fields('sha256:aa', ['ops', 'dba']),
    after: fields('sha256:a2', ['ops', 'dba']),
    peer: { uid: 0, user: 'root' },
  });
  await held(l, 'rq-before', 'bob');
  await l.append('policy_changed', { digest: 'sha256:v2', previous: 'sha256:v1', files: ['p.yaml'], rules: v2 });
  await l.append('approver_removed', { approver_id: 'bob', by: 'alice', reason: 'left the team' });
  await held(l, 'rq-after', 'bob');
  await l.close();
  const env = { ...home.env, NODE_EXTRA_CA_CERTS: '' };
  const bundle = join(home.home, 'b.tar');
  const pub = join(home.home, 'b.pub');
  execFileSync(process.execPath, [BIN, 'ledger', 'export', '--out', bundle], { env });
  execFileSync(process.execPath, [BIN, 'ledger', 'pubkey', '--out', pub], { env });
  const key = parsePubkeyFile(readFileSync(pub, 'latin1')) as VerifierKey;
  out = join(home.home, 'pack');
  await buildPack({
    bundles: [bundle],
    keys: [key],
    from: '2000-01-01T00:00:00.000Z',
    to: '2999-01-01T00:00:00.000Z',
    sample: 2,
    seed: 's',
    out,
    guardVersion: 'test',
    pdf: false,
  });
}, 60_000);

afterAll(() => {
  home?.cleanup();
});

describe('rule digests', () => {
  it('a version diff names the added, removed and changed rules', () => {
    expect(diffRules(v1, v2)).toEqual({ added: ['r.new'], removed: ['r.gone'], changed: ['r.edit'] });
    expect(diffRules(v1, v1)).toEqual({ added: [], removed: [], changed: [] });
  });

  it('moving a rule is no change; changing what it decides or whom it asks is', () => {
    const a = ruleDigests(compile(rule('r.a', 'deny', 'a') + rule('r.b', 'deny', 'b')));
    const moved = ruleDigests(compile(`${rule('r.b', 'deny', 'b')}\n\n${rule('r.a', 'deny', 'a')}`));
    expect(moved).toEqual(a);
    const groups = ruleDigests(
      compile(rule('r.a', 'deny', 'a') + rule('r.b', 'approve', 'b') + '    approval: { groups: [dba] }\n'),
    );
    const other = ruleDigests(
      compile(rule('r.a', 'deny', 'a') + rule('r.b', 'approve', 'b') + '    approval: { groups: [sre] }\n'),
    );
    expect(diffRules(groups, other).changed).toEqual(['r.b']);
    expect(diffRules(a, ruleDigests(compile(rule('r.a', 'deny', 'a') + rule('r.b', 'deny', 'c')))).changed).toEqual([
      'r.b',
    ]);
  });

  it('a rule named after a prototype key stays a plain key', () => {
    const d = ruleDigests(compile(rule('constructor', 'deny', 'p')));
    expect(Object.keys(d)).toContain('constructor');
    expect(diffRules({}, d).added).toContain('constructor');
  });
});

describe('approvers.csv and policies.csv', () => {
  it('lists enrolments with their endorser, the refused enrolment and the removal', () => {
    const rows = csv(join(out, 'approvers.csv'));
    const life = rows.filter((r) => r['record'] !== 'activity');
    expect(life.map((r) => [r['record'], r['approver']])).toEqual([
      ['approver_enrolled', 'alice'],
      ['approver_enrolled', 'bob'],
      ['approver_enroll_refused', 'mallory'],
      ['approver_updated', 'alice'],
      ['approver_rotated', 'alice'],
      ['approver_removed', 'bob'],
    ]);
    // an update shows the approver as it stands after it, and who signed the change
    expect(life[3]).toMatchObject({ groups: 'ops dba', identity: 'sha256:aa', endorsed_by: 'bob', by: 'root (uid 0)' });
    expect(life[4]).toMatchObject({ identity: 'sha256:a2', endorsed_by: 'alice' });
    expect(life[1]).toMatchObject({
      endorsed_by: 'alice',
      groups: 'ops dba',
      identity: 'sha256:bb',
      by: 'root (uid 0)',
    });
    expect(life[2]).toMatchObject({ by: 'agent (uid 1234)', reason: 'user agent may not enroll approvers' });
    expect(life[5]).toMatchObject({ by: 'alice', reason: 'left the team' });
    expect(rows.find((r) => r['record'] === 'activity' && r['approver'] === 'bob')).toMatchObject({ approvals: '2' });
  });

  it('an approval after the approver was removed is an exception; the one before is not', () => {
    const ex = csv(join(out, 'exceptions.csv'));
    const removed = ex.filter((e) => e['kind'] === 'approval_by_removed_approver');
    expect(removed.map((e) => e['request_id'])).toEqual(['rq-after']);
    expect(ex.map((e) => e['kind'])).toEqual(
      expect.arrayContaining(['approver_enrolled', 'approver_enroll_refused', 'approver_removed']),
    );
    expect(ex.find((e) => e['kind'] === 'approver_enroll_refused')?.['severity']).toBe('exception');
  });

  it('each policy version lists its rule count and the rules added, removed and changed', () => {
    const rows = csv(join(out, 'policies.csv')).filter((r) => r['source'] !== 'decisions');
    expect(rows.map((r) => [r['source'], r['digest']])).toEqual([
      ['ledger_open', 'sha256:v1'],
      ['policy_changed', 'sha256:v2'],
    ]);
    expect(rows[0]).toMatchObject({ rule_count: '3', rules_added: '', rules_removed: '', rules_changed: '' });
    expect(rows[1]).toMatchObject({
      previous_digest: 'sha256:v1',
      rule_count: '3',
      rules_added: 'r.new',
      rules_removed: 'r.gone',
      rules_changed: 'r.edit',
    });
    const rules = csv(join(out, 'policy-rules.csv'));
    expect(rules.filter((r) => r['policy_digest'] === 'sha256:v2').map((r) => r['rule'])).toEqual([
      '(default)',
      '(on_unresolved)',
      'r.edit',
      'r.keep',
      'r.new',
    ]);
    expect(rules.find((r) => r['rule'] === 'r.keep' && r['policy_digest'] === 'sha256:v1')?.['rule_digest']).toBe(
      v2['r.keep'],
    );
  });
});
