/**
 * Per-item tests an auditor runs (requester ≠ approver, approval before execution, what ran is what
 * was approved) and the exceptions list, derived from collected facts only.
 */
import type { HostCollector, HostEvent, Item } from './collect.js';
import { LIFECYCLE, lifecycleName } from './versions.js';

export type YesNo = 'yes' | 'no' | 'n/a';

export interface Row {
  item: Item;
  /** The request whose approvals authorise this one (itself, or the request whose grant it used). */
  approvedBy: Item;
  approvers: { name: string; level: string; channel: string }[];
  requesterIsApprover: YesNo;
  approvedBeforeExec: YesNo;
  ranAsApproved: YesNo;
}

export interface Exception {
  host: string;
  kind: string;
  /** `exception`: the auditor must follow up. `notice`: a recorded event that explains the data. */
  severity: 'exception' | 'notice';
  requestId: string;
  seq: number;
  ts: string;
  detail: string;
}

const lower = (s: string): string => s.toLowerCase();

export function analyseItem(item: Item, host: HostCollector): Row {
  const approvedBy = item.grantOf !== '' ? (host.items.get(item.grantOf) ?? item) : item;
  const approves = approvedBy.approvals.filter((a) => a.action === 'approve');
  const approvers = approves.map((a) => ({ name: a.approver, level: a.level, channel: a.channel }));
  const selves = [item.requester, item.onBehalfOf].filter((s) => s !== '').map(lower);
  const requesterIsApprover: YesNo =
    approves.length === 0
      ? 'n/a'
      : approves.some((a) => selves.includes(lower(a.approver)) || selves.includes(lower(a.identity)))
        ? 'yes'
        : 'no';
  const ex = item.execStart;
  const approvedBeforeExec: YesNo =
    ex === undefined ? 'n/a' : approvedBy.approvedSeq > 0 && approvedBy.approvedSeq < ex.seq ? 'yes' : 'no';
  const ranAsApproved: YesNo =
    ex === undefined
      ? 'n/a'
      : ex.fingerprint === approvedBy.fingerprint && item.fingerprint === approvedBy.fingerprint
        ? 'yes'
        : 'no';
  return { item, approvedBy, approvers, requesterIsApprover, approvedBeforeExec, ranAsApproved };
}

export function inPeriod(ts: string, from: string, to: string): boolean {
  return ts >= from && ts < to;
}

/** Exceptions and notices of one host within the period, in ledger order. */
export function hostExceptions(host: HostCollector, rows: Row[], from: string, to: string): Exception[] {
  const out: Exception[] = [];
  const add = (e: Omit<Exception, 'host'>): void => {
    if (inPeriod(e.ts, from, to)) out.push({ host: host.host, ...e });
  };
  for (const r of host.refusals) {
    const four = /four-eyes/.test(r.reason);
    add({
      kind: four ? 'self_approval_attempt' : 'approval_refused',
      severity: 'exception',
      requestId: r.requestId,
      seq: r.seq,
      ts: r.ts,
      detail: `${r.approver || 'unknown approver'} via ${r.channel || '?'}: ${r.code}: ${r.reason}`,
    });
  }
  for (const row of rows) {
    const i = row.item;
    const about = (kind: string, at: { seq: number; ts: string }, detail: string): void =>
      add({ kind, severity: 'exception', requestId: i.requestId, seq: at.seq, ts: at.ts, detail });
    if (row.requesterIsApprover === 'yes') about('self_approval', i, `approved by the requester ${i.requester}`);
    if (row.approvedBeforeExec === 'no')
      about('exec_without_approval', i.execStart!, `${i.command} ran with no prior approval on record`);
    if (row.ranAsApproved === 'no')
      about('ran_not_as_approved', i.execStart!, 'the fingerprint that ran differs from the one approved');
    if (i.outcome === 'expired')
      about('expired', { seq: i.decidedSeq, ts: i.decidedAt }, `nobody decided in time: ${i.command}`);
    for (const a of row.approvers)
      if (a.level === 'unverified')
        about('unverifiable_identity', i, `${a.name} approved via ${a.channel} without a verified identity`);
  }
  // an approval counted after its approver was removed (and not enrolled again) is an exception
  const lifecycle = host.events.filter((e) => LIFECYCLE.has(e.type) && e.type !== 'approver_enroll_refused');
  const stateAt = (name: string, seq: number): HostEvent | undefined =>
    lifecycle.filter((e) => e.seq < seq && lifecycleName(e).toLowerCase() === name.toLowerCase()).pop();
  for (const row of rows)
    for (const a of row.item.approvals)
      if (a.action === 'approve' && stateAt(a.approver, a.seq)?.type === 'approver_removed')
        add({
          kind: 'approval_by_removed_approver',
          severity: 'exception',
          requestId: row.item.requestId,
          seq: a.seq,
          ts: a.at,
          detail: `${a.approver} approved via ${a.channel} after being removed`,
        });
  for (const u of host.undecided())
    add({
      kind: 'no_policy_decision',
      severity: 'exception',
      requestId: u.requestId,
      seq: u.seq,
      ts: u.ts,
      detail: 'a request with no policy decision on record',
    });
  for (const e of host.events) {
    const d = e.detail;
    if (e.type === 'key_rotation')
      add({
        kind: 'key_rotation',
        severity: 'notice',
        requestId: '',
        seq: e.seq,
        ts: e.ts,
        detail: `signing key rotated (epoch ${String(d['epoch'])})`,
      });
    else if (e.type === 'policy_changed')
      add({
        kind: 'policy_change',
        severity: 'notice',
        requestId: '',
        seq: e.seq,
        ts: e.ts,
        detail: `policy ${String(d['previous'])} → ${String(d['digest'])}`,
      });
    else if (e.type === 'policy_error')
      add({
        kind: 'policy_error',
        severity: 'exception',
        requestId: '',
        seq: e.seq,
        ts: e.ts,
        detail: `policy reload failed; kept ${String(d['kept'])}`,
      });
    else if (e.type === 'approver_enrolled')
      add({
        kind: 'approver_enrolled',
        severity: 'notice',
        requestId: '',
        seq: e.seq,
        ts: e.ts,
        detail: `${lifecycleName(e)} enrolled${typeof d['endorsedBy'] === 'string' ? ` (endorsed by ${d['endorsedBy']})` : ' (bootstrap, no endorsement)'}`,
      });
    else if (e.type === 'approver_enroll_refused')
      add({
        kind: 'approver_enroll_refused',
        severity: 'exception',
        requestId: '',
        seq: e.seq,
        ts: e.ts,
        detail: `enrolment of ${lifecycleName(e)} refused: ${String(d['reason'])}`,
      });
    else if (e.type === 'approver_updated' || e.type === 'approver_rotated')
      add({
        kind: e.type,
        severity: 'notice',
        requestId: '',
        seq: e.seq,
        ts: e.ts,
        detail: `${lifecycleName(e)} ${e.type === 'approver_rotated' ? 'key rotated' : 'updated'} (signed by ${String(d['signer'])})`,
      });
    else if (e.type === 'approver_change_refused')
      add({
        kind: 'approver_change_refused',
        severity: 'exception',
        requestId: '',
        seq: e.seq,
        ts: e.ts,
        detail: `change of approver ${lifecycleName(e)} refused: ${String(d['reason'])}`,
      });
    else if (e.type === 'approver_removed')
      add({
        kind: 'approver_removed',
        severity: 'notice',
        requestId: '',
        seq: e.seq,
        ts: e.ts,
        detail: `${lifecycleName(e)} removed by ${String(d['by'])}: ${String(d['reason'])}`,
      });
    else if (e.type === 'recovery')
      add({
        kind: 'unclean_shutdown',
        severity: 'exception',
        requestId: typeof d['requestId'] === 'string' ? d['requestId'] : '',
        seq: e.seq,
        ts: e.ts,
        detail: 'a command started but its end was never recorded',
      });
  }
  return out.sort((a, b) => a.seq - b.seq);
}
