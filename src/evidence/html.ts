/** report.html and the per-item pages: static HTML, no scripts, every value escaped. */
import type { Exception, Row } from './analyse.js';
import type { PackMeta } from './formats.js';

export function esc(s: string | number): string {
  return String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

const STYLE = `body{font:13px/1.4 sans-serif;margin:24px;color:#111}table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #999;padding:2px 6px;text-align:left;vertical-align:top}th{background:#eee}
.exception{color:#a00}.notice{color:#555}code,pre{font:11px monospace;white-space:pre-wrap;word-break:break-all}
h2{page-break-after:avoid}.page{page-break-before:always}`;

function table(head: string[], rows: (string | number)[][]): string {
  return `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</table>`;
}

/** A bar chart as inline SVG (no scripts, renders in any browser and in the PDF). */
export function barChart(title: string, bars: { label: string; value: number }[]): string {
  const w = 640;
  const h = 180;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const bw = bars.length === 0 ? 0 : Math.max(2, Math.floor((w - 40) / bars.length) - 2);
  const rects = bars
    .map((b, i) => {
      const bh = Math.round((b.value / max) * (h - 40));
      const x = 30 + i * (bw + 2);
      return `<rect x="${x}" y="${h - 20 - bh}" width="${bw}" height="${bh}" fill="#36c"><title>${esc(b.label)}: ${b.value}</title></rect>${
        bars.length <= 16 ? `<text x="${x}" y="${h - 6}" font-size="9">${esc(b.label)}</text>` : ''
      }`;
    })
    .join('');
  return `<figure><figcaption>${esc(title)} (max ${max})</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" role="img" aria-label="${esc(title)}"><line x1="28" y1="${h - 20}" x2="${w}" y2="${h - 20}" stroke="#000"/>${rects}</svg></figure>`;
}

export interface ReportInput {
  meta: PackMeta;
  rows: Row[];
  exceptions: Exception[];
  sample: { row: Row; page: string }[];
  seed: string;
  counts: { hosts: number; records: number; held: number; denied: number; executed: number; approved: number };
}

export function reportHtml(r: ReportInput): string {
  const perDay = new Map<string, number>();
  const tta: number[] = [];
  for (const row of r.rows) {
    if (row.item.approvedAt === '') continue;
    const day = row.item.approvedAt.slice(0, 10);
    perDay.set(day, (perDay.get(day) ?? 0) + 1);
    tta.push((Date.parse(row.item.approvedAt) - Date.parse(row.item.ts)) / 1000);
  }
  const buckets = [10, 60, 300, 900, 3600, 14400, Infinity];
  const names = ['≤10 s', '≤1 min', '≤5 min', '≤15 min', '≤1 h', '≤4 h', '>4 h'];
  const hist = names.map((label, i) => ({
    label,
    value: tta.filter((s) => s <= buckets[i]! && (i === 0 || s > buckets[i - 1]!)).length,
  }));
  const ex = r.exceptions.filter((e) => e.severity === 'exception');
  const notices = r.exceptions.filter((e) => e.severity === 'notice');
  const exRows = (list: Exception[]) => list.map((e) => [e.kind, e.host, e.requestId, e.seq, e.ts, e.detail]);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>guard evidence ${esc(r.meta.from)} to ${esc(r.meta.to)}</title><style>${STYLE}</style></head><body>
<h1>Privileged command evidence</h1>
<p>Period ${esc(r.meta.from)} to ${esc(r.meta.to)} (end exclusive). Hosts: ${esc(r.meta.hosts.join(', ') || 'none')}. Ledger data up to ${esc(r.meta.asOf)}.</p>
${table(['hosts', 'records verified', 'held', 'denied by policy', 'approved', 'executed'], [[r.counts.hosts, r.counts.records, r.counts.held, r.counts.denied, r.counts.approved, r.counts.executed]])}
<h2 class="exception">Exceptions (${ex.length})</h2>
${ex.length === 0 ? '<p>None.</p>' : table(['kind', 'host', 'request', 'seq', 'time', 'detail'], exRows(ex))}
<h2>Notices (${notices.length})</h2>
${notices.length === 0 ? '<p>None.</p>' : table(['kind', 'host', 'request', 'seq', 'time', 'detail'], exRows(notices))}
<h2>Approvals</h2>
${barChart(
  'Approvals per day',
  [...perDay].sort().map(([label, value]) => ({ label, value })),
)}
${barChart('Time from request to approval', hist)}
<h2>Sample (${r.sample.length}, seed ${esc(r.seed)})</h2>
${table(
  ['host', 'request', 'command', 'outcome', 'requester_is_approver', 'approved_before_exec', 'ran_as_approved', 'page'],
  r.sample.map((s) => [
    s.row.item.host,
    s.row.item.requestId,
    s.row.item.command,
    s.row.item.outcome,
    s.row.requesterIsApprover,
    s.row.approvedBeforeExec,
    s.row.ranAsApproved,
    s.page,
  ]),
)}
<div class="page"><h2>What this pack proves, and what it does not</h2>
<p><b>Proves</b>, for each host whose bundle verified against the pinned genesis key: the records listed are exactly the records the ledger's signing keys sealed, in order, none removed, changed or inserted (hash chain, Merkle root, signed checkpoints, key hand-overs); each sampled record is included in the signed tree (inclusion proof in its page). The population is every held or denied command recorded in the period; the per-item tests are computed from those records alone.</p>
<p><b>Does not prove</b>: that a host ran guard for every command (a host or agent that bypassed guard leaves no record: see silent hosts); that records after the last export exist; that the clock of a host was right (times are the host's own); who an approver is beyond the identity level shown (a signed approver key, or an identity a channel verified); approver enrolment, endorsement and removal (kept in the approver registry, not in the ledger); policy rule text (only digests and the rules that matched are recorded); that the holder of the current signing key did not rewrite its own epoch before any checkpoint left the host.</p></div>
</body></html>
`;
}

export function itemHtml(
  row: Row,
  chain: { seq: number; bytes: string; leaf: string; proof: string }[],
  checkpoint: string,
): string {
  const i = row.item;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(i.host)} ${esc(i.requestId)}</title><style>${STYLE}</style></head><body>
<h1>${esc(i.requestId)} on ${esc(i.host)}</h1>
${table(['command', 'requester', 'rules', 'risk', 'outcome', 'requester_is_approver', 'approved_before_exec', 'ran_as_approved'], [[i.command, i.requester, i.rules.join(' '), i.risk, i.outcome, row.requesterIsApprover, row.approvedBeforeExec, row.ranAsApproved]])}
<h2>Signed checkpoint</h2><pre>${esc(checkpoint)}</pre>
<h2>Record chain</h2>
${chain.map((c) => `<h3>record ${c.seq}</h3><p>leaf hash <code>${esc(c.leaf)}</code></p><pre class="record">${esc(c.bytes)}</pre><pre class="proof">${esc(c.proof)}</pre>`).join('\n')}
</body></html>
`;
}
