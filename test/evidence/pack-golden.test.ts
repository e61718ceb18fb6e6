/**
 * The pack's outputs stay byte-identical while its memory and speed work changes how it gets
 * there. Two hosts' bundles are generated deterministically here (fixed Ed25519 seeds, fixed
 * timestamps, every kind of item the collector tells apart: allowed, held and approved, denied,
 * self-approved, refused under four-eyes then expired, approved over a channel and run with
 * another fingerprint, grant re-runs, runs without approval, cancelled, unclean shutdown, policy
 * changes, approver enrolment and removal, a key rotation with its hand-over checkpoint, and an
 * earlier export of the same ledger). The SHA-256 of every file but report.pdf (Chromium stamps
 * it) and SHA256SUMS (which lists the PDF), with the temporary directory's name replaced, was recorded from the pack as it stood before the
 * streaming and compact-index changes (decisions 0217–0219) and must not move.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPack } from '../../src/evidence/pack.js';
import { buildBundle } from '../../src/ledger/bundle.js';
import { Frontier, leafHash } from '../../src/ledger/merkle.js';
import { formatVkey, rawPublicKey, signCheckpoint, verifierKey, type VerifierKey } from '../../src/ledger/note.js';
import { recordBytes } from '../../src/ledger/record.js';
import type { RecordType } from '../../src/ledger/types.js';
import { canonicalize } from '../../src/util/canonical.js';

const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
function seededKey(seed: string): { priv: KeyObject; pub: KeyObject } {
  const d = createHash('sha256').update(seed).digest();
  const priv = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, d]), format: 'der', type: 'pkcs8' });
  return { priv, pub: createPublicKey(priv) };
}

type Rec = [RecordType, Record<string, unknown>];

/** The records of one host: a deterministic mix over `n` requests plus registry and policy events. */
function hostRecords(host: number, n: number): Rec[] {
  const out: Rec[] = [
    [
      'ledger_open',
      { policy_digest: 'sha256:p0', policy_rules: { 'k8s.delete': 'sha256:r1', 'k8s.prod': 'sha256:r2' } },
    ],
    ['approver_enrolled', { name: 'ops0', key: 'sha256:k0', groups: ['ops'], peer: { user: 'root', uid: 0 } }],
    ['approver_enrolled', { name: 'ops1', key: 'sha256:k1', groups: ['ops'], endorsedBy: 'ops0' }],
  ];
  const approved: string[] = [];
  for (let c = 0; c < n; c++) {
    const id = `rq-${host}${c.toString(16).padStart(11, '0')}`;
    const fp = createHash('sha256').update(id).digest('hex');
    const request: Rec = [
      'request',
      {
        requestId: id,
        argv: ['kubectl', 'delete', 'pod', `web-${c}`],
        command: c % 37 === 0 ? `=cmd|' /C calc'!A0 "q" web-${c}` : `kubectl delete pod web-${c}`,
        cwd: '/srv/app',
        fingerprint: fp,
        requester: c % 11 === 0 ? { user: 'agent', onBehalfOf: 'dev1' } : { user: 'agent' },
      },
    ];
    const policy = (effect: string, extra: Record<string, unknown> = {}): Rec => [
      'decision',
      {
        requestId: id,
        source: 'policy',
        effect,
        risk: effect === 'allow' ? 'low' : effect === 'deny' ? 'critical' : 'high',
        rules: effect === 'allow' ? [] : ['k8s.delete'],
        policyDigest: c < n / 2 ? 'sha256:p0' : 'sha256:p1',
        ...extra,
      },
    ];
    const approval = (approver: string, extra: Record<string, unknown> = {}): Rec => [
      'approval',
      { requestId: id, approver, action: 'approve', channel: 'cli', fingerprint: fp, ...extra },
    ];
    const quorum = (who: string): Rec => [
      'decision',
      { requestId: id, source: 'quorum', state: 'approved', approvers: [who] },
    ];
    const run = (fingerprint = fp, end: Record<string, unknown> = { exitCode: c % 5, signal: null }): Rec[] => [
      ['exec_start', { requestId: id, execId: `ex-${c}`, fingerprint }],
      ['exec_end', { requestId: id, execId: `ex-${c}`, durationMs: 12, ...end }],
    ];
    const signed = { signature: 'c2ln', key: `sha256:k${c % 2}` };
    out.push(request);
    switch (c % 20) {
      case 12:
      case 13:
        out.push(policy('approve'), approval(`ops${c % 2}`, signed), quorum(`ops${c % 2}`), ...run());
        approved.push(id);
        break;
      case 14: // the requester approves its own request over an unverified channel
        out.push(policy('approve'), approval('agent', { channel: 'webhook' }), quorum('agent'), ...run());
        break;
      case 15:
        out.push(policy('deny'));
        break;
      case 16: // four-eyes refusal, then nobody decides
        out.push(
          policy('approve'),
          [
            'approval_refused',
            { requestId: id, approver: 'dev1', code: 'four_eyes', reason: 'four-eyes: the requester', channel: 'tui' },
          ],
          ['expired', { requestId: id }],
        );
        break;
      case 17: // approved over a verified channel, a different program ran, killed by a signal
        out.push(
          policy('approve'),
          approval('ops1', { channel: 'slack', verifiedBy: 'slack', identity: 'U123' }),
          quorum('ops1'),
          ...run('f'.repeat(64), { exitCode: null, signal: 'SIGKILL' }),
        );
        break;
      case 18: // a re-run under an earlier grant
        if (approved.length > 0) out.push(policy('approve', { grant: approved[approved.length - 1] }), ...run());
        else out.push(policy('allow'));
        break;
      case 19: // ran with no approval on record, then cancelled
        out.push(policy('approve'), ...run(), ['cancelled', { requestId: id }]);
        break;
      default:
        if (c % 97 === 5) break; // no policy decision ever recorded
        out.push(policy('allow'), ...run());
    }
    if (c === Math.floor(n / 2)) {
      out.push([
        'policy_changed',
        { previous: 'sha256:p0', digest: 'sha256:p1', rules: { 'k8s.delete': 'sha256:r3' } },
      ]);
      out.push(['approver_removed', { approver_id: 'ops1', by: 'ops0', reason: 'left the team' }]);
      out.push(['recovery', { requestId: id }]);
    }
  }
  return out;
}

interface Host {
  origin: string;
  key: VerifierKey;
  bundles: Buffer[];
}

/** Bundles of one host: the whole ledger and an earlier export; host 1 rotates its key midway. */
function makeHost(host: number, n: number): Host {
  const origin = `golden.test/host-${host}`;
  const k1 = seededKey(`golden-${host}-1`);
  const k2 = seededKey(`golden-${host}-2`);
  const vk1 = verifierKey(origin, rawPublicKey(k1.pub));
  const vk2 = verifierKey(origin, rawPublicKey(k2.pub));
  const recs = hostRecords(host, n);
  const rotateAt = host === 1 ? Math.floor(recs.length / 3) : -1;
  if (rotateAt > 0) recs.splice(rotateAt, 0, ['key_rotation', { epoch: 2, next_key: formatVkey(vk2) }]);
  const t0 = Date.parse('2026-03-01T08:00:00.000Z');
  const tree = new Frontier();
  const records: Buffer[] = [];
  const checkpoints: { size: number; text: string }[] = [];
  let prev = '';
  let signer = { priv: k1.priv, vk: vk1 };
  const seal = (): { size: number; text: string } => ({
    size: tree.size,
    text: signCheckpoint({ origin, size: tree.size, root: tree.root() }, signer.priv, signer.vk),
  });
  let earlier: { records: Buffer[]; checkpoints: { size: number; text: string }[] } | undefined;
  for (const [type, payload] of recs) {
    const seq = records.length + 1;
    // ten minutes apart, a day boundary now and then
    const bytes = recordBytes(seq, new Date(t0 + seq * 600_000).toISOString(), type, prev, canonicalize(payload));
    const leaf = leafHash(bytes);
    prev = leaf.toString('hex');
    tree.append(leaf);
    records.push(bytes);
    if (type === 'key_rotation') {
      checkpoints.push(seal());
      signer = { priv: k2.priv, vk: vk2 };
    }
    if (seq === Math.floor(recs.length / 4)) earlier = { records: [...records], checkpoints: [...checkpoints, seal()] };
  }
  checkpoints.push(seal());
  return {
    origin,
    key: vk1,
    bundles: [
      buildBundle({ origin, records, checkpoints }),
      buildBundle({ origin, records: earlier!.records, checkpoints: earlier!.checkpoints }),
    ],
  };
}

/** SHA-256 of each output file, as recorded from the pack before decisions 0217–0219. */
const EXPECTED: Record<string, string> = {
  'VERIFY.md': 'b74fd131913af6da7d837f85e2a192b202eaffb0391d5ea649918968a35dc7cd',
  'approvers.csv': '5d1b56076cb0dd9b47a0f695171357178459ccca9aed946897b0331ba8617b9f',
  'completeness.json': '96f11b655746f07b249646131f1aede832a6e2afda160afe3bf68d0a259d9557',
  'controls.csv': '52924752c6051dbdbaaff708b125ed7b2936ada45ebcbf184db047a44232a1ce',
  'exceptions.csv': '89da290433dbd3866ce988cfeeb64533136bc8fd83b93a1c08737049f1014b3c',
  'items/golden.test_host-0--rq-00000000009e.checkpoint':
    'a154e23cefcf497874fa7a4b0aeb336ea80f5a2758c988cd1d7eea21d81fa7ed',
  'items/golden.test_host-0--rq-00000000009e.html': 'b9b387eeff23b7dfcdaec50439ca60f47840b98356e4f6fd3920e3deb737f32b',
  'items/golden.test_host-0--rq-00000000009e.proofs':
    '272c1dc4aca647870663b5612fffd74968c9caa92cf5eeafa6b14217bf6a0d2f',
  'items/golden.test_host-0--rq-0000000000b3.checkpoint':
    'a154e23cefcf497874fa7a4b0aeb336ea80f5a2758c988cd1d7eea21d81fa7ed',
  'items/golden.test_host-0--rq-0000000000b3.html': '52291f99114897e8f103254f40574ddbc4dc6d6bd85a5400be85ff3f58675ca9',
  'items/golden.test_host-0--rq-0000000000b3.proofs':
    'c41786509285be0edea3decad703333039af9baa64655449379bc6d03eb9f8d3',
  'items/golden.test_host-0--rq-0000000001a1.checkpoint':
    'a154e23cefcf497874fa7a4b0aeb336ea80f5a2758c988cd1d7eea21d81fa7ed',
  'items/golden.test_host-0--rq-0000000001a1.html': 'a67a82d516b5999cff646a27de8a2cc798967a4b1141c9b54c4649886ae23c03',
  'items/golden.test_host-0--rq-0000000001a1.proofs':
    'ea6b12c8eb7bd6565ba0b02ee2f1d1d414fbef5c38e491eaa71ec7cacbae5fbb',
  'items/golden.test_host-0--rq-0000000001db.checkpoint':
    'a154e23cefcf497874fa7a4b0aeb336ea80f5a2758c988cd1d7eea21d81fa7ed',
  'items/golden.test_host-0--rq-0000000001db.html': '4c28fa41cef11c1ef9b76f997ef8db607774d02f99268dbe1cc212131f84c99d',
  'items/golden.test_host-0--rq-0000000001db.proofs':
    '95a36b7351f81e6ca4a4211b59739ac0280166411bf5064e5dfbf248dcb4705c',
  'items/golden.test_host-0--rq-000000000264.checkpoint':
    'a154e23cefcf497874fa7a4b0aeb336ea80f5a2758c988cd1d7eea21d81fa7ed',
  'items/golden.test_host-0--rq-000000000264.html': '0ea1b62a8b400f5aacc7eb0e506917e78e421c3c90fc9873b0ff6b2362df99f7',
  'items/golden.test_host-0--rq-000000000264.proofs':
    'e8c17acf78ef53ee9d9c782c25fd056e4262083bf44e25cd69307c6f0f5d728d',
  'items/golden.test_host-1--rq-100000000025.checkpoint':
    '8e64c87942b66d84c4dd6495dc45b051e46200b799482518c87617dc45f40904',
  'items/golden.test_host-1--rq-100000000025.html': 'c1c8bcc1cb22bb75945c2acad892c1cee79c9e225ce26e8a61dac2928be36ae2',
  'items/golden.test_host-1--rq-100000000025.proofs':
    '0edf25e9838b32ffdd7f4504f5d8538d9ac7290a4ecf1e6dd7b8614e824536f9',
  'items/golden.test_host-1--rq-10000000004b.checkpoint':
    '8e64c87942b66d84c4dd6495dc45b051e46200b799482518c87617dc45f40904',
  'items/golden.test_host-1--rq-10000000004b.html': '29e853e58dd21be51fbe3dfb23bed924d4f4e62e831c3722c2c82e5900db2748',
  'items/golden.test_host-1--rq-10000000004b.proofs':
    '43ada96d41a8192e0e6c5d7790985d277a53555fabf56063de2e78ac93763c02',
  'items/golden.test_host-1--rq-100000000073.checkpoint':
    '8e64c87942b66d84c4dd6495dc45b051e46200b799482518c87617dc45f40904',
  'items/golden.test_host-1--rq-100000000073.html': '8a850c41237bd5a69ae80cf04e026c4abcfdec9950642299ec3d53776864c515',
  'items/golden.test_host-1--rq-100000000073.proofs':
    '2a89315b46ee1ad5fba5a63c595cf1824f2d54c403c0fe6105d2885495ab460b',
  'items/golden.test_host-1--rq-100000000076.checkpoint':
    '8e64c87942b66d84c4dd6495dc45b051e46200b799482518c87617dc45f40904',
  'items/golden.test_host-1--rq-100000000076.html': '0b7cb8e4dc2f6b5efd5a546a9d1fb8f80b324c20e5757a1aec7cd527181e2870',
  'items/golden.test_host-1--rq-100000000076.proofs':
    'f8e701ad77913e65b25ba2138804261a06cc6ceb2d11572698d81de2d68eefce',
  'items/golden.test_host-1--rq-1000000001b5.checkpoint':
    '8e64c87942b66d84c4dd6495dc45b051e46200b799482518c87617dc45f40904',
  'items/golden.test_host-1--rq-1000000001b5.html': '693b6718ef031c67f821d18985f0f63182183d13aeb5977a8bc4fbbf79a18402',
  'items/golden.test_host-1--rq-1000000001b5.proofs':
    '710ea816b9db9727df82f7e794de37014e1dbe1f4fddbcf8dd10b60572b52773',
  'items/golden.test_host-1--rq-1000000001c6.checkpoint':
    '8e64c87942b66d84c4dd6495dc45b051e46200b799482518c87617dc45f40904',
  'items/golden.test_host-1--rq-1000000001c6.html': '2e00c56a343fc0f3e8adc34e2f61fb59164a58206a4aa4501e701ca94ea80aa4',
  'items/golden.test_host-1--rq-1000000001c6.proofs':
    '87ae316e9cfd4d46e6b714654977622600c8a3763e289f8f67d816ad316735e3',
  'items/golden.test_host-1--rq-10000000023d.checkpoint':
    '8e64c87942b66d84c4dd6495dc45b051e46200b799482518c87617dc45f40904',
  'items/golden.test_host-1--rq-10000000023d.html': 'a30833ed48d6a47fd15cd6a636288d215e1459b8cb98272b30a16f4ca9668470',
  'items/golden.test_host-1--rq-10000000023d.proofs':
    '554f151c996196843764bffe1d89a10d2f4d5678f3fb59b778b0e9893865c7b2',
  'ocsf.jsonl': 'fa0aff22c069218a7463f4535bed8c3c27ff2e682ed40f8fdbebb36778ac39cb',
  'oscal-assessment-results.json': '455790ef6567b17384ea39e8e25a378db8dd28c2899c0e7d90dbe5b077972fcf',
  'policies.csv': 'd8e96636e62aa6839a044ba981e6b6c4e13766fc836a7423480cd8234ced2487',
  'policy-rules.csv': '42e1a5fa453d8ec39a52ace28f247d1301a67cfeb8e01c53bc2bcaaa5fa3e9ef',
  'population.csv': '97dab6e96f8dedaf68aa078136b8640501998855ae94a66df65f5fb0d49a11d5',
  'report.html': '379fac77af90b195e683c382726d37afad7cf6776ef6901830f74738f4b7909c',
  'sample.csv': 'db9043d55ceeda2965148feac79b8a36ea5c39fc474db3d50da79cc4a5bf936b',
};

let dir: string;
const digests: Record<string, string> = {};
let kinds: Set<string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'guard-evidence-golden-'));
  const hosts = [makeHost(0, 1500), makeHost(1, 1200)];
  const bundles: string[] = [];
  hosts.forEach((h, i) =>
    h.bundles.forEach((b, j) => {
      const f = join(dir, `host${i}-${j}.tar`);
      writeFileSync(f, b);
      bundles.push(f);
    }),
  );
  const out = join(dir, 'pack');
  const r = await buildPack({
    bundles,
    keys: hosts.map((h) => h.key),
    from: '2026-03-02T00:00:00.000Z',
    to: '2026-03-20T00:00:00.000Z',
    sample: 12,
    seed: 'golden-seed',
    out,
    guardVersion: 'golden',
    pdf: false,
  });
  expect(r.rejected).toEqual([]);
  const walk = (d: string, prefix = ''): void => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p, `${prefix}${f}/`);
      else if (f !== 'SHA256SUMS' && f !== 'report.pdf')
        digests[`${prefix}${f}`] = createHash('sha256')
          .update(readFileSync(p).toString('latin1').replaceAll(dir, '<dir>'), 'latin1')
          .digest('hex');
    }
  };
  walk(out);
  kinds = new Set(
    readFileSync(join(out, 'exceptions.csv'), 'utf8')
      .split('\r\n')
      .slice(1)
      .map((l) => l.split(',')[1]!),
  );
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('evidence pack outputs on a fixed input', () => {
  it('are byte-identical to the recorded ones, file by file', () => {
    if (process.env['GOLDEN_PRINT'] === '1') process.stdout.write(`${JSON.stringify(digests, null, 2)}\n`);
    expect(Object.keys(digests).length).toBeGreaterThan(20);
    expect(digests).toEqual(EXPECTED);
  });

  it('cover every kind of finding the collector and analysis tell apart', () => {
    for (const k of [
      'self_approval',
      'self_approval_attempt',
      'exec_without_approval',
      'ran_not_as_approved',
      'expired',
      'unverifiable_identity',
      'approval_by_removed_approver',
      'no_policy_decision',
      'unclean_shutdown',
      'key_rotation',
      'policy_change',
      'approver_removed',
    ])
      expect(kinds, k).toContain(k);
  });
});
