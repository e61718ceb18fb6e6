/**
 * `guard evidence pack`: from verified bundles to the files an auditor asks for. Every bundle is
 * streamed through the ledger verifier once (collecting facts as it goes) and once more for the
 * record bytes of sampled items; a bundle that does not verify against its pinned key contributes
 * nothing but an exception.
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { encodeBase64 } from '../ledger/b64.js';
import { readBundleLayout, streamRecords, verifyBundleFile, withFileSource } from '../ledger/bundle.js';
import { VerifyFailedError } from '../ledger/errors.js';
import { leafHash, leafHashHex } from '../ledger/merkle.js';
import type { VerifierKey } from '../ledger/note.js';
import { indexTar } from '../ledger/tar.js';
import type { Anchor, VerifyResult } from '../ledger/verify.js';
import { analyseItem, hostExceptions, inPeriod, type Exception, type Row } from './analyse.js';
import { HostCollector, LeafStore } from './collect.js';
import { CONTROLS } from './controls.js';
import { csvLine } from './csv.js';
import { ocsfEvents, writeOscal, type PackMeta } from './formats.js';
import { itemHtml, reportHtml } from './html.js';
import { renderPdf } from './pdf.js';
import { formatInclusion, ProofTree } from './proof.js';
import { verifyMd } from './verify-md.js';
import { collectNow, compactEvery } from '../util/heap.js';

/** 32 KiB pieces written between full collections (8 MiB; src/util/heap.ts, decision 0216). */
const COMPACT_EVERY_PIECES = 256;
import { approversCsv, policiesCsv, policyRulesCsv, type ApproverActivity } from './versions.js';

export interface PackOptions {
  bundles: string[];
  keys: VerifierKey[];
  /** ISO timestamps; `to` is exclusive. */
  from: string;
  to: string;
  sample: number;
  seed: string;
  out: string;
  guardVersion: string;
  /** Skip report.pdf (benchmarks); the CLI always renders it. */
  pdf?: boolean;
}

export interface BundleOutcome {
  file: string;
  origin: string;
  size: number;
  verified: boolean;
  error?: string;
}

export interface PackResult {
  population: number;
  sampled: number;
  exceptions: number;
  rejected: BundleOutcome[];
  records: number;
  files: string[];
}

interface Host {
  origin: string;
  key: VerifierKey;
  collector: HostCollector;
  result: VerifyResult;
  file: string;
}

function manifestOf(file: string): { origin: string; size: number } | string {
  try {
    return withFileSource(file, (src) => {
      const index = indexTar(src);
      if (typeof index === 'string') return index;
      const m = index.find((e) => e.name === 'MANIFEST');
      if (m === undefined || m.size > 1 << 20) return 'MANIFEST is missing';
      const text = src.read(m.offset, m.size).toString('latin1');
      const origin = /^origin (\S+)$/m.exec(text)?.[1];
      const size = /^size ([0-9]+)$/m.exec(text)?.[1];
      return origin === undefined || size === undefined ? 'MANIFEST is malformed' : { origin, size: Number(size) };
    });
  } catch (err) {
    return (err as Error).message;
  }
}

/** Sample key: SHA-256 of `seed \n host \n request id`, lowest first (reproducible with sha256sum). */
export function sampleKey(seed: string, host: string, requestId: string): string {
  return createHash('sha256').update(`${seed}\n${host}\n${requestId}`).digest('hex');
}

const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, '_');

export async function buildPack(o: PackOptions): Promise<PackResult> {
  const outcomes: BundleOutcome[] = [];
  const byOrigin = new Map<string, { file: string; size: number }[]>();
  for (const file of o.bundles) {
    const m = manifestOf(file);
    if (typeof m === 'string') {
      outcomes.push({ file, origin: '', size: 0, verified: false, error: `unreadable bundle: ${m}` });
      continue;
    }
    byOrigin.set(m.origin, [...(byOrigin.get(m.origin) ?? []), { file, size: m.size }]);
  }
  const hosts: Host[] = [];
  for (const [origin, list] of [...byOrigin].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const key = o.keys.find((k) => k.name === origin);
    if (key === undefined) {
      for (const b of list)
        outcomes.push({ ...b, origin, verified: false, error: `no pinned key for the ledger ${origin}` });
      continue;
    }
    // smallest first: each verified bundle anchors the larger ones (continuity, fork detection)
    const anchors: Anchor[] = [];
    let best: Host | undefined;
    for (const b of list.sort((x, y) => x.size - y.size)) {
      const collector = new HostCollector(origin);
      try {
        const result = verifyBundleFile(b.file, key, anchors, (r) => collector.push(r));
        collectNow(); // the garbage of one bundle's pass, before the heap grows for the next (decision 0218)
        anchors.push({ label: `the bundle ${b.file}`, size: result.size, root: result.root });
        outcomes.push({ ...b, origin, verified: true });
        best = { origin, key, collector, result, file: b.file };
      } catch (err) {
        if (!(err instanceof VerifyFailedError)) throw err;
        outcomes.push({ ...b, origin, verified: false, error: err.message });
      }
    }
    if (best !== undefined) hosts.push(best);
  }
  for (const k of o.keys)
    if (!byOrigin.has(k.name))
      outcomes.push({ file: '', origin: k.name, size: 0, verified: false, error: 'no bundle' });

  const rowsByHost = new Map<string, Row[]>();
  const exceptions: Exception[] = [];
  for (const h of hosts) {
    const all = [...h.collector.items.values()].map((i) => analyseItem(i, h.collector));
    const rows = all.filter((r) => inPeriod(r.item.ts, o.from, o.to));
    rowsByHost.set(h.origin, rows);
    exceptions.push(...hostExceptions(h.collector, rows, o.from, o.to));
    const active = h.collector.firstTs < o.to && h.collector.lastTs >= o.from;
    if (!active)
      exceptions.push({
        host: h.origin,
        kind: 'silent_host',
        severity: 'exception',
        requestId: '',
        seq: 0,
        ts: o.from,
        detail: 'no records in the period',
      });
  }
  for (const b of outcomes.filter((x) => !x.verified)) {
    exceptions.unshift({
      host: b.origin,
      kind: b.error === 'no bundle' ? 'silent_host' : 'bundle_rejected',
      severity: 'exception',
      requestId: '',
      seq: 0,
      ts: o.from,
      detail: b.file === '' ? 'a pinned ledger with no bundle' : `${b.file}: ${b.error ?? ''}`,
    });
  }
  const rows = hosts.flatMap((h) => rowsByHost.get(h.origin)!);
  const asOf = hosts.map((h) => h.collector.lastTs).reduce((a, b) => (a > b ? a : b), o.from);
  const meta: PackMeta = {
    from: o.from,
    to: o.to,
    asOf,
    hosts: hosts.map((h) => h.origin),
    guardVersion: o.guardVersion,
  };

  // sample
  const keyed = rows.map((r) => ({ r, k: sampleKey(o.seed, r.item.host, r.item.requestId) }));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  const sample = keyed.slice(0, o.sample);

  mkdirSync(join(o.out, 'items'), { recursive: true });
  const files: string[] = [];
  const write = (name: string, data: string | Buffer): void => {
    writeFileSync(join(o.out, name), data);
    files.push(name);
  };
  const compactOutput = compactEvery(COMPACT_EVERY_PIECES);
  /** Large outputs are written in pieces, never held whole. */
  const writeStreamed = (name: string, produce: (out: (text: string) => void) => void): void => {
    const fd = openSync(join(o.out, name), 'w');
    try {
      let parts: string[] = [];
      let n = 0;
      const flush = (): void => {
        writeSync(fd, parts.join(''));
        parts = [];
        n = 0;
        compactOutput();
      };
      produce((text) => {
        parts.push(text);
        n += text.length;
        if (n >= 1 << 15) flush(); // small pieces die young; one large string would wait for a full GC
      });
      flush();
    } finally {
      closeSync(fd);
    }
    files.push(name);
  };

  // item pages: second pass for the sampled records' bytes, proofs against the final checkpoint
  const pages: { row: Row; page: string }[] = [];
  for (const h of hosts) {
    const mine = sample.filter((s) => s.r.item.host === h.origin);
    if (mine.length === 0) continue;
    const want = new Set(
      mine.flatMap((s) => [...s.r.item.seqs, ...(s.r.approvedBy === s.r.item ? [] : s.r.approvedBy.seqs)]),
    );
    const bytes = new Map<number, Buffer>();
    // the leaves are recomputed here rather than kept from the first pass (32 bytes a record)
    const leaves = new LeafStore(h.result.size);
    withFileSource(h.file, (src) => {
      const layout = readBundleLayout(src, h.key);
      let seq = 0;
      streamRecords(src, layout.records, (b) => {
        seq++;
        leaves.push(leafHashHex(b));
        if (want.has(seq)) bytes.set(seq, Buffer.from(b));
      });
    });
    const tree = new ProofTree(leaves);
    if (!tree.root().equals(h.result.root)) throw new Error(`${h.origin}: records changed between passes`);
    for (const { r } of mine) {
      const seqs = [...new Set([...r.approvedBy.seqs, ...r.item.seqs])].sort((a, b) => a - b);
      const chain = seqs.map((seq) => {
        const b = bytes.get(seq)!;
        const leaf = leafHash(b);
        if (!leaf.equals(leaves.get(seq - 1))) throw new Error(`${h.origin}: record ${seq} changed between passes`);
        return {
          seq,
          bytes: b.toString('utf8'),
          leaf: leaf.toString('hex'),
          proof: formatInclusion(seq - 1, tree.size, tree.inclusion(seq - 1)),
        };
      });
      const page = `items/${safe(h.origin)}--${safe(r.item.requestId)}.html`;
      write(page, itemHtml(r, chain, h.result.checkpoint));
      write(page.replace(/\.html$/, '.checkpoint'), h.result.checkpoint);
      write(page.replace(/\.html$/, '.proofs'), chain.map((c) => `record ${c.seq}\n${c.bytes}\n${c.proof}`).join('\n'));
      pages.push({ row: r, page });
    }
    collectNow();
  }

  const POP_HEAD = [
    'host',
    'request_id',
    'command',
    'rules',
    'risk',
    'effect',
    'outcome',
    'requester',
    'on_behalf_of',
    'approvers',
    'channel',
    'requested_at',
    'approved_at',
    'exec_start_at',
    'exec_end_at',
    'exit_status',
    'requester_is_approver',
    'approved_before_exec',
    'ran_as_approved',
    'grant_of',
    'seq',
    'leaf_hash',
  ];
  const popLine = (r: Row): string =>
    csvLine([
      r.item.host,
      r.item.requestId,
      r.item.command,
      r.item.rules.join(' '),
      r.item.risk,
      r.item.effect,
      r.item.outcome,
      r.item.requester,
      r.item.onBehalfOf,
      r.approvers.map((a) => `${a.name} (${a.level})`).join('; '),
      [...new Set(r.approvers.map((a) => a.channel))].join('; '),
      r.item.ts,
      r.approvedBy.approvedAt,
      r.item.execStart?.ts,
      r.item.execEnd?.ts,
      r.item.execEnd === undefined
        ? ''
        : r.item.execEnd.signal !== ''
          ? `signal ${r.item.execEnd.signal}`
          : r.item.execEnd.exitCode,
      r.requesterIsApprover,
      r.approvedBeforeExec,
      r.ranAsApproved,
      r.item.grantOf,
      r.item.seq,
      r.item.leaf,
    ]);
  writeStreamed('population.csv', (out) => {
    out(csvLine(POP_HEAD));
    for (const r of rows) out(popLine(r));
  });
  write(
    'sample.csv',
    csvLine(['sample_key', ...POP_HEAD, 'page']) +
      sample
        .map((s, i) =>
          popLine(s.r)
            .replace(/^/, `${csvLine([s.k]).trimEnd()},`)
            .replace(/\r\n$/, `,${pages[i]?.page ?? ''}\r\n`),
        )
        .join(''),
  );
  write(
    'exceptions.csv',
    csvLine(['severity', 'kind', 'host', 'request_id', 'seq', 'time', 'detail']) +
      exceptions.map((e) => csvLine([e.severity, e.kind, e.host, e.requestId, e.seq, e.ts, e.detail])).join(''),
  );

  // approvers seen in the period
  const apr = new Map<string, ApproverActivity>();
  for (const r of rows)
    for (const a of r.item.approvals) {
      const k = [r.item.host, a.approver, a.level, a.identity, a.channel].join('\n');
      const e = apr.get(k) ?? {
        host: r.item.host,
        name: a.approver,
        level: a.level,
        identity: a.identity,
        channel: a.channel,
        first: a.at,
        last: a.at,
        approve: 0,
        deny: 0,
        other: 0,
      };
      if (a.action === 'approve') e.approve++;
      else if (a.action === 'deny') e.deny++;
      else e.other++;
      e.last = a.at;
      apr.set(k, e);
    }
  const refusedBy = new Map<string, number>();
  for (const x of exceptions.filter((e) => e.kind === 'self_approval_attempt' || e.kind === 'approval_refused')) {
    const name = x.detail.split(' via ')[0]!;
    refusedBy.set(`${x.host}\n${name}`, (refusedBy.get(`${x.host}\n${name}`) ?? 0) + 1);
  }
  write('approvers.csv', approversCsv([...apr.values()], refusedBy, hosts, o.to));
  write('policies.csv', policiesCsv(hosts));
  write('policy-rules.csv', policyRulesCsv(hosts));

  write(
    'controls.csv',
    csvLine(['framework', 'control', 'evidence', 'rationale']) +
      CONTROLS.map((c) => csvLine([c.framework, c.control, c.evidence, c.rationale])).join(''),
  );

  const completeness = {
    period: { from: o.from, to: o.to },
    verified: outcomes.every((b) => b.verified),
    bundles: outcomes,
    hosts: hosts.map((x) => {
      const inP = rowsByHost.get(x.origin)!;
      return {
        origin: x.origin,
        bundle: x.file,
        records: x.result.size,
        first_ts: x.collector.firstTs,
        last_ts: x.collector.lastTs,
        sequence_gaps: [],
        root: encodeBase64(x.result.root),
        final_checkpoint: x.result.checkpoint,
        checkpoints_verified: x.result.checkpointsVerified,
        checkpoint_continuity: outcomes
          .filter((b) => b.origin === x.origin && b.file !== x.file)
          .map((b) => ({ bundle: b.file, size: b.size, extended_by_final: b.verified })),
        key_rotations: x.collector.events
          .filter((e) => e.type === 'key_rotation')
          .map((e) => ({
            seq: e.seq,
            ts: e.ts,
            epoch: e.detail['epoch'] ?? null,
            next_key: e.detail['next_key'] ?? null,
          })),
        witness_cosignatures: x.result.witnesses,
        record_counts: Object.fromEntries([...x.collector.counts].sort()),
        population_in_period: inP.length,
      };
    }),
    silent_hosts: exceptions.filter((e) => e.kind === 'silent_host').map((e) => e.host),
  };
  write('completeness.json', `${JSON.stringify(completeness, null, 2)}\n`);
  writeStreamed('oscal-assessment-results.json', (out) => writeOscal(out, meta, rows, exceptions));
  writeStreamed('ocsf.jsonl', (out) => {
    for (const line of ocsfEvents(rows, meta)) out(`${line}\n`);
  });

  const counts = {
    hosts: hosts.length,
    records: hosts.reduce((a, x) => a + x.result.size, 0),
    held: rows.filter((r) => r.item.effect === 'approve').length,
    denied: rows.filter((r) => r.item.effect === 'deny').length,
    approved: rows.filter((r) => r.item.approvedSeq > 0).length,
    executed: rows.filter((r) => r.item.execStart !== undefined).length,
  };
  write('report.html', reportHtml({ meta, rows, exceptions, sample: pages, seed: o.seed, counts }));
  if (o.pdf !== false) {
    await renderPdf(join(o.out, 'report.html'), join(o.out, 'report.pdf'));
    files.push('report.pdf');
  }
  write('VERIFY.md', verifyMd({ bundles: outcomes, seed: o.seed, sample: o.sample }));
  const sums = files
    .filter((f) => f !== 'SHA256SUMS')
    .sort()
    .map((f) => `${fileDigest(join(o.out, f))}  ${f}\n`)
    .join('');
  write('SHA256SUMS', sums);
  return {
    population: rows.length,
    sampled: sample.length,
    exceptions: exceptions.filter((e) => e.severity === 'exception').length,
    rejected: outcomes.filter((b) => !b.verified),
    records: counts.records,
    files,
  };
}

/** SHA-256 of a written file, read back in 1 MiB pieces (the OCSF file alone is tens of MB). */
function fileDigest(path: string): string {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, 'r');
  try {
    for (let n = readSync(fd, buf, 0, buf.length, null); n > 0; n = readSync(fd, buf, 0, buf.length, null))
      hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}
