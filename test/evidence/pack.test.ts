/**
 * The scenario through real daemons: two hosts (two GUARD_HOMEs, each its own ledger and
 * key), a key rotation, a self-approval attempt (four-eyes), an expired request, a policy change
 * and a copy of a bundle with one record deleted. The pack lists each as an exception or notice,
 * counts reconcile with the ledgers, the same seed gives the same sample, OSCAL and OCSF validate
 * against their schemas, the PDF renders to PNG pages with content, and every inclusion proof
 * checks with the independent RFC 9162 implementation below.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../../src/ledger/bundle.js';
import { parseCsv } from '../../src/evidence/csv.js';
import { Rig, TEST_POLICY, type LedgerRow } from '../daemon/helpers.js';
import { partsOf } from '../ledger/tamper-helpers.js';

const POLICY = `${TEST_POLICY}  - id: t.four
    description: Test rule that needs a second person
    effect: approve
    risk: high
    match: { program: mark, any_arg: [four-me] }
    approval: { four_eyes: true }
`;
const ID = /request (rq-[0-9a-f]{12}) is waiting/;
/** `../shared/schemas` beside the clone (CI); from a git worktree, beside the main checkout. */
function sharedSchema(...parts: string[]): string {
  const root = resolve(import.meta.dirname, '..', '..');
  const common = execFileSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], { cwd: root })
    .toString()
    .trim();
  const candidates = [resolve(root, '..', 'shared', 'schemas'), resolve(common, '..', '..', 'shared', 'schemas')];
  const base = candidates.find((c) => existsSync(c)) ?? candidates[0]!;
  return join(base, ...parts);
}
const OSCAL_SCHEMA = sharedSchema('oscal', 'oscal_assessment-results_schema.json');
const OCSF_SCHEMA = resolve(import.meta.dirname, '..', 'fixtures', 'ocsf', 'ocsf-1.1.0-events.schema.json');

let a: Rig;
let b: Rig;
let dir: string;
const files: Record<string, string> = {};
let ledgerA: LedgerRow[];
let ledgerB: LedgerRow[];

async function approveRun(rig: Rig, label: string, as: string): Promise<string> {
  const p = rig.exec(label);
  const [, id] = await p.waitFor(ID);
  const r = await rig.approve(id!, as);
  if (r.code !== 0) throw new Error(r.stderr);
  expect((await p.done).code).toBe(0);
  return id!;
}

async function exportTo(rig: Rig, name: string): Promise<void> {
  const out = join(dir, `${name}.tar`);
  const key = join(dir, `${name}.pub`);
  expect((await rig.guard(['ledger', 'export', '--out', out])).code).toBe(0);
  expect((await rig.guard(['ledger', 'pubkey', '--out', key])).code).toBe(0);
  files[name] = out;
  files[`${name}.pub`] = key;
}

function pack(out: string, seed: string, extra: string[] = []) {
  return a.guard(
    [
      'evidence',
      'pack',
      files['A']!,
      files['B']!,
      files['B-deleted']!,
      '--pubkey',
      files['A.pub']!,
      files['B.pub']!,
      '--period',
      '2000-01-01..2999-12-31',
      '--sample',
      '4',
      '--seed',
      seed,
      '--out',
      out,
      '--json',
      ...extra,
    ],
    { timeoutMs: 120_000 },
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'guard-evidence-'));
  a = new Rig(POLICY);
  b = new Rig(POLICY);
  // host A: an approval, a policy denial, a rotation, a four-eyes self-approval attempt, a policy change
  await a.startDaemon();
  await a.enroll('alice', ['ops']);
  await a.enroll('bob', ['ops'], 'alice');
  await a.enroll('carol', ['ops'], 'alice', ['--os-user', 'root']);
  await approveRun(a, 'approve-me', 'alice');
  expect((await a.exec('deny-me').done).code).not.toBe(0);
  await a.stopAll();
  expect((await a.guard(['ledger', 'rotate'])).code).toBe(0);
  await a.startDaemon();
  const p = a.exec('four-me');
  const [, fourId] = await p.waitFor(ID);
  const self = await a.approve(fourId!, 'carol');
  expect(self.code).not.toBe(0);
  expect((await a.approve(fourId!, 'bob')).code).toBe(0);
  expect((await p.done).code).toBe(0);
  appendFileSync(
    a.policy,
    `  - id: t.added\n    description: Added later\n    effect: deny\n    match: { program: mark, any_arg: [added-me] }\n`,
  );
  ledgerA = await a.ledger((r) => r.some((x) => x.type === 'policy_changed'));
  expect(ledgerA.some((x) => x.type === 'policy_changed')).toBe(true);
  await a.stopAll();
  await exportTo(a, 'A');
  // host B: an expired request and an approval
  await b.startDaemon();
  await b.enroll('dave', ['ops']);
  const exp = await b.exec('expire-me', ['--no-wait']).done;
  const expId = exp.stdout.trim();
  expect(expId).toMatch(/^rq-/);
  await approveRun(b, 'approve-me', 'dave');
  ledgerB = await b.ledger((r) => r.some((x) => x.type === 'expired' && x.payload['requestId'] === expId));
  expect(ledgerB.some((x) => x.type === 'expired')).toBe(true);
  await b.stopAll();
  await exportTo(b, 'B');
  // a copy of B with one record (the approval) deleted and the rest re-chained by nobody: it must be rejected
  const parts = partsOf(readFileSync(files['B']!));
  const victim = parts.records.findIndex((r) => r.includes('"type":"approval"'));
  files['B-deleted'] = join(dir, 'B-deleted.tar');
  writeFileSync(files['B-deleted'], buildBundle({ ...parts, records: parts.records.filter((_, i) => i !== victim) }));
  files['victim'] = String(victim + 1);
}, 180_000);

afterAll(async () => {
  await a?.cleanup();
  await b?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const csv = (p: string): Record<string, string>[] => {
  const [head, ...rows] = parseCsv(readFileSync(p, 'utf8'));
  return rows.map((r) => Object.fromEntries(head!.map((h, i) => [h, r[i] ?? ''])));
};

/** RFC 9162 §2.1.3.2, written here from the RFC and independent of src/. */
function rootFromInclusion(leaf: Buffer, index: number, size: number, path: Buffer[]): Buffer | undefined {
  const h = (...b: Buffer[]) => createHash('sha256').update(Buffer.concat(b)).digest();
  if (index >= size) return undefined;
  let fn = index;
  let sn = size - 1;
  let r = h(Buffer.from([0]), leaf);
  for (const p of path) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = h(Buffer.from([1]), p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else r = h(Buffer.from([1]), r, p);
    fn >>= 1;
    sn >>= 1;
  }
  return sn === 0 ? r : undefined;
}

describe('guard evidence pack', () => {
  let out: string;
  let summary: { population: number; sampled: number; rejected: { file: string; error: string }[] };
  beforeAll(async () => {
    out = join(dir, 'pack1');
    const r = await pack(out, 'auditor-seed-1');
    expect(r.code, r.stderr).toBe(1); // written, but one bundle was rejected
    summary = JSON.parse(r.stdout) as typeof summary;
  }, 150_000);

  it('lists each scenario event as an exception or notice', () => {
    const ex = csv(join(out, 'exceptions.csv'));
    const kinds = ex.map((e) => e['kind']);
    expect(kinds).toContain('self_approval_attempt');
    expect(kinds).toContain('expired');
    expect(kinds).toContain('policy_change');
    expect(kinds).toContain('key_rotation');
    const rejected = ex.find((e) => e['kind'] === 'bundle_rejected');
    expect(rejected?.['detail']).toMatch(new RegExp(`B-deleted.tar: record ${files['victim']}`));
    expect(summary.rejected).toHaveLength(1);
    // exceptions come first in the report
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html.indexOf('Exceptions')).toBeLessThan(html.indexOf('Approvals per day'));
    expect(html).toContain('self_approval_attempt');
  });

  it('counts reconcile with the ledgers', () => {
    const pop = csv(join(out, 'population.csv'));
    const held = (rows: LedgerRow[]) =>
      rows.filter((x) => x.type === 'decision' && x.payload['source'] === 'policy' && x.payload['effect'] !== 'allow');
    const hostA = readFileSync(files['A.pub']!, 'utf8').split('\n')[1]!.split('+')[0]!;
    expect(pop.filter((r) => r['host'] === hostA)).toHaveLength(held(ledgerA).length);
    expect(pop).toHaveLength(held(ledgerA).length + held(ledgerB).length);
    expect(summary.population).toBe(pop.length);
    const c = JSON.parse(readFileSync(join(out, 'completeness.json'), 'utf8')) as {
      verified: boolean;
      hosts: { records: number; record_counts: Record<string, number>; key_rotations: unknown[] }[];
    };
    expect(c.verified).toBe(false);
    const sizes = c.hosts.map((h) => h.records).sort();
    expect(sizes).toEqual(
      [partsOf(readFileSync(files['A']!)).records.length, partsOf(readFileSync(files['B']!)).records.length].sort(),
    );
    for (const h of c.hosts) expect(Object.values(h.record_counts).reduce((x, y) => x + y, 0)).toBe(h.records);
    expect(c.hosts.map((h) => h.key_rotations.length).sort()).toEqual([0, 1]);
    // per-item tests: the four-eyes item was approved by bob, not the requester, before it ran
    const four = pop.find((r) => r['command']!.includes('four-me'))!;
    expect(four).toMatchObject({ requester_is_approver: 'no', approved_before_exec: 'yes', ran_as_approved: 'yes' });
    expect(four['approvers']).toMatch(/^bob \(signed-key\)$/);
    expect(pop.find((r) => r['command']!.includes('deny-me'))).toMatchObject({
      outcome: 'policy_denied',
      approved_before_exec: 'n/a',
    });
  });

  it('the daemons record rule digests: the policy change on host A names the rule it added', () => {
    const pol = csv(join(out, 'policies.csv'));
    const changed = pol.filter((r) => r['source'] === 'policy_changed');
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ rules_added: 't.added', rules_removed: '', rules_changed: '' });
    // ledger_open by the daemon carries the rule digests; one by a CLI command (no policy) does not
    const opens = pol.filter((x) => x['source'] === 'ledger_open' && x['digest'] !== '');
    expect(opens.length).toBeGreaterThan(0);
    for (const r of opens) expect(Number(r['rule_count'])).toBeGreaterThan(0);
    const approvers = csv(join(out, 'approvers.csv')).filter((r) => r['record'] === 'approver_enrolled');
    expect(approvers.map((r) => r['approver']).sort()).toEqual(['alice', 'bob', 'carol', 'dave']);
    expect(approvers.find((r) => r['approver'] === 'bob')?.['endorsed_by']).toBe('alice');
  });

  it('the same seed gives the same sample; another seed is allowed to differ', async () => {
    const again = join(dir, 'pack2');
    expect((await pack(again, 'auditor-seed-1')).code).toBe(1);
    expect(readFileSync(join(again, 'sample.csv'), 'utf8')).toBe(readFileSync(join(out, 'sample.csv'), 'utf8'));
    expect(readFileSync(join(again, 'oscal-assessment-results.json'), 'utf8')).toBe(
      readFileSync(join(out, 'oscal-assessment-results.json'), 'utf8'),
    );
    const sample = csv(join(out, 'sample.csv'));
    expect(sample).toHaveLength(Math.min(4, summary.population));
    // the documented recomputation: lowest SHA-256 of seed \n host \n request id
    const pop = csv(join(out, 'population.csv'));
    const expected = pop
      .map((r) => createHash('sha256').update(`auditor-seed-1\n${r['host']}\n${r['request_id']}`).digest('hex'))
      .sort()
      .slice(0, 4);
    expect(sample.map((s) => s['sample_key'])).toEqual(expected);
  }, 150_000);

  it('OSCAL assessment results validate against NIST’s schema; OCSF lines against the OCSF fixture', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
    ajv.addFormat('uri-reference', /^\S*$/);
    ajv.addFormat('uri', /^[a-z][a-z0-9+.-]*:\S*$/i);
    ajv.addFormat('email', /^[^@\s]+@[^@\s]+$/);
    const oscal = ajv.compile(JSON.parse(readFileSync(OSCAL_SCHEMA, 'utf8')) as object);
    const doc = JSON.parse(readFileSync(join(out, 'oscal-assessment-results.json'), 'utf8')) as {
      'assessment-results': { results: { observations: unknown[] }[] };
    };
    expect(oscal(doc), JSON.stringify(oscal.errors?.slice(0, 3))).toBe(true);
    expect(doc['assessment-results'].results[0]!.observations).toHaveLength(summary.population);
    // a negative control: the validator does reject a broken document
    expect(oscal({ 'assessment-results': { uuid: 'not-a-uuid' } })).toBe(false);
    const ocsf = ajv.compile(JSON.parse(readFileSync(OCSF_SCHEMA, 'utf8')) as object);
    const lines = readFileSync(join(out, 'ocsf.jsonl'), 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(ocsf(JSON.parse(l)), `${l}\n${JSON.stringify(ocsf.errors)}`).toBe(true);
    const classes = new Set(lines.map((l) => (JSON.parse(l) as { class_uid: number }).class_uid));
    expect([...classes].sort()).toEqual([1007, 3005]);
    expect(ocsf({ ...(JSON.parse(lines[0]!) as object), type_uid: 1 })).toBe(false);
  });

  it('report.pdf renders to PNG pages that carry the report', () => {
    const pdf = join(out, 'report.pdf');
    expect(readFileSync(pdf).subarray(0, 5).toString()).toBe('%PDF-');
    const prefix = join(dir, 'page');
    execFileSync('pdftoppm', ['-png', '-r', '40', pdf, prefix]);
    const pngs = readdirSync(dir).filter((f) => f.startsWith('page') && f.endsWith('.png'));
    expect(pngs.length).toBeGreaterThanOrEqual(2); // the "what it proves" page starts a new page
    for (const f of pngs) expect(readFileSync(join(dir, f)).subarray(1, 4).toString()).toBe('PNG');
    // the first page is not blank: render it as greyscale PGM and count dark pixels
    execFileSync('pdftoppm', ['-gray', '-r', '30', '-f', '1', '-l', '1', pdf, join(dir, 'grey')]);
    const pgm = readFileSync(
      join(
        dir,
        readdirSync(dir).find((f) => f.startsWith('grey'))!,
      ),
    );
    const header = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(pgm.subarray(0, 40).toString('latin1'))!;
    const pixels = pgm.subarray(header[0].length);
    expect(pixels.filter((p) => p < 128).length).toBeGreaterThan(500);
    const text = execFileSync('pdftotext', [pdf, '-']).toString();
    expect(text).toMatch(/Exceptions/);
    expect(text).toMatch(/What this pack proves/);
  });

  it('every sampled record is included in the signed checkpoint (independent RFC 9162 check)', () => {
    const pages = readdirSync(join(out, 'items')).filter((f) => f.endsWith('.proofs'));
    expect(pages.length).toBe(summary.sampled);
    const keys = [files['A.pub']!, files['B.pub']!].map((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .find((l) => !l.startsWith('#'))!,
    );
    let checked = 0;
    for (const f of pages) {
      const cpText = readFileSync(join(out, 'items', f.replace(/\.proofs$/, '.checkpoint')), 'utf8');
      const [origin, size, rootB64] = cpText.split('\n');
      const root = Buffer.from(rootB64!, 'base64');
      const lines = readFileSync(join(out, 'items', f), 'utf8').split('\n');
      for (let i = 0; i < lines.length;) {
        if (!lines[i]!.startsWith('record ')) {
          i++;
          continue;
        }
        const rec = Buffer.from(lines[i + 1]!, 'utf8');
        const [, idx, n] = lines[i + 2]!.split(' ');
        expect(Number(n)).toBe(Number(size));
        const path: Buffer[] = [];
        let j = i + 3;
        while (j < lines.length && lines[j] !== '' && !lines[j]!.startsWith('record '))
          path.push(Buffer.from(lines[j++]!, 'base64'));
        expect(rootFromInclusion(rec, Number(idx), Number(n), path)?.equals(root)).toBe(true);
        // a changed record does not prove
        expect(
          rootFromInclusion(Buffer.concat([rec, Buffer.from(' ')]), Number(idx), Number(n), path)?.equals(root),
        ).not.toBe(true);
        checked++;
        i = j;
      }
      // the checkpoint's signature: by the pinned key (genesis) or, after a rotation, the announced key
      const sigs = cpText.split('\n\n')[1]!.trim().split('\n');
      const body = cpText.split('\n\n')[0]! + '\n';
      const ok = sigs.some((s) => {
        const sig = Buffer.from(s.split(' ')[2]!, 'base64').subarray(4);
        const candidates = [...keys, ...rotatedKeys(origin!)];
        return candidates.some((vk) => {
          const m = /^(.+)\+([0-9a-f]{8})\+(.+)$/.exec(vk)!;
          if (m[1] !== origin) return false;
          const raw = Buffer.from(m[3]!, 'base64').subarray(1);
          const pub = createPublicKey({
            key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]),
            format: 'der',
            type: 'spki',
          });
          return verify(null, Buffer.from(body), pub, sig);
        });
      });
      expect(ok).toBe(true);
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('refuses to write over an existing directory and loses nothing', async () => {
    writeFileSync(join(dir, 'keep'), 'x');
    const r = await pack(dir, 's');
    expect(r.code).toBe(64);
    expect(readFileSync(join(dir, 'keep'), 'utf8')).toBe('x');
    expect(existsSync(join(dir, 'population.csv'))).toBe(false);
  });
});

/** Keys announced by key_rotation records of the ledger with this origin (read from the bundles). */
function rotatedKeys(origin: string): string[] {
  const out: string[] = [];
  for (const f of [files['A']!, files['B']!]) {
    for (const r of partsOf(readFileSync(f)).records) {
      const rec = JSON.parse(r.toString()) as { type: string; payload: { next_key?: string } };
      if (rec.type === 'key_rotation' && rec.payload.next_key?.startsWith(`${origin}+`) === true)
        out.push(rec.payload.next_key);
    }
  }
  return out;
}
