/**
 * Who could approve and which policy decided, from the ledger alone: `approvers.csv` (approver
 * activity in the period plus the registry's lifecycle records: enrolments with their endorser,
 * refused enrolments, removals) and `policies.csv` / `policy-rules.csv` (every policy version in
 * force with its rule digests and what was added, removed or changed from the version before).
 */
import type { HostCollector, HostEvent } from './collect.js';
import { csvLine } from './csv.js';
import { diffRules } from './rule-digests.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x) => typeof x === 'string') : []);

export interface ApproverActivity {
  host: string;
  name: string;
  level: string;
  identity: string;
  channel: string;
  first: string;
  last: string;
  approve: number;
  deny: number;
  other: number;
}

export const LIFECYCLE = new Set([
  'approver_enrolled',
  'approver_enroll_refused',
  'approver_removed',
  'approver_updated',
  'approver_rotated',
  'approver_change_refused',
]);

/** The approver a lifecycle record is about (`approver_removed` names it `approver_id`). */
export function lifecycleName(e: HostEvent): string {
  return e.type === 'approver_removed' ? str(e.detail['approver_id']) : str(e.detail['name']);
}

function peerOf(d: Obj): string {
  const p = obj(d['peer']);
  return typeof p['uid'] === 'number' ? `${str(p['user'])} (uid ${p['uid']})` : '';
}

const APPROVER_COLUMNS = [
  'record',
  'host',
  'approver',
  'identity_level',
  'identity',
  'channel',
  'first_seen',
  'last_seen',
  'approvals',
  'denials',
  'other_votes',
  'refused_attempts',
  'seq',
  'time',
  'groups',
  'endorsed_by',
  'by',
  'reason',
] as const;
type ApproverLine = Partial<Record<(typeof APPROVER_COLUMNS)[number], string | number>>;
const approverLine = (v: ApproverLine): string => csvLine(APPROVER_COLUMNS.map((c) => v[c] ?? ''));

export function approversCsv(
  activity: ApproverActivity[],
  refusedBy: Map<string, number>,
  hosts: { origin: string; collector: HostCollector }[],
  to: string,
): string {
  const lines: string[] = [];
  for (const h of hosts)
    for (const e of h.collector.events) {
      // the registry as it stood up to the end of the period, including enrolments before it
      if (!LIFECYCLE.has(e.type) || e.ts >= to) continue;
      // an update or rotation shows the approver as it stands after it, signed by `signer`
      const changed = e.type === 'approver_updated' || e.type === 'approver_rotated';
      const d = changed ? { ...e.detail, ...obj(e.detail['after']), endorsedBy: e.detail['signer'] } : e.detail;
      const removed = e.type === 'approver_removed';
      lines.push(
        approverLine({
          record: e.type,
          host: h.origin,
          approver: lifecycleName(e),
          identity_level: removed ? '' : 'signed-key',
          identity: str(d['key']),
          seq: e.seq,
          time: e.ts,
          groups: strs(d['groups']).join(' '),
          endorsed_by: str(d['endorsedBy']),
          by: removed ? str(d['by']) : peerOf(d),
          reason: str(d['reason']),
        }),
      );
    }
  for (const e of activity)
    lines.push(
      approverLine({
        record: 'activity',
        host: e.host,
        approver: e.name,
        identity_level: e.level,
        identity: e.identity,
        channel: e.channel,
        first_seen: e.first,
        last_seen: e.last,
        approvals: e.approve,
        denials: e.deny,
        other_votes: e.other,
        refused_attempts: refusedBy.get(`${e.host}\n${e.name}`) ?? 0,
      }),
    );
  return csvLine([...APPROVER_COLUMNS]) + lines.join('');
}

/** A version's rule digests as recorded (`ledger_open.policy_rules`, `policy_changed.rules`), if any. */
export function recordedRules(e: HostEvent): Record<string, string> | undefined {
  const raw = e.type === 'ledger_open' ? e.detail['policy_rules'] : e.detail['rules'];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  return Object.fromEntries(Object.entries(raw).filter((kv): kv is [string, string] => typeof kv[1] === 'string'));
}

const digestOf = (e: HostEvent): string => str(e.detail['digest']) || str(e.detail['policy_digest']);
const isVersion = (e: HostEvent): boolean => e.type === 'policy_changed' || e.type === 'ledger_open';

export function policiesCsv(hosts: { origin: string; collector: HostCollector }[]): string {
  const pol: string[] = [];
  for (const x of hosts) {
    const digests = new Map<string, { first: string; last: string; decisions: number; rules: Set<string> }>();
    for (const i of x.collector.items.values()) {
      const d = digests.get(i.policyDigest) ?? { first: i.ts, last: i.ts, decisions: 0, rules: new Set<string>() };
      d.decisions++;
      d.last = i.ts;
      for (const rule of i.rules) d.rules.add(rule);
      digests.set(i.policyDigest, d);
    }
    // each version against the one in force before it on this host (unknown for ledgers that predate rule digests)
    let before: Record<string, string> | undefined;
    for (const e of x.collector.events.filter(isVersion)) {
      const digest = digestOf(e);
      const rules = recordedRules(e);
      const diff = rules !== undefined && before !== undefined ? diffRules(before, rules) : undefined;
      pol.push(
        csvLine([
          x.origin,
          e.type,
          e.seq,
          e.ts,
          digest,
          str(e.detail['previous']),
          digests.get(digest)?.decisions ?? 0,
          [...(digests.get(digest)?.rules ?? [])].sort().join(' '),
          rules === undefined ? '' : Object.keys(rules).filter((k) => !k.startsWith('(')).length,
          diff?.added.join(' ') ?? '',
          diff?.removed.join(' ') ?? '',
          diff?.changed.join(' ') ?? '',
        ]),
      );
      // a ledger_open by a CLI command (no policy loaded) says nothing about the version in force
      if (digest !== '') before = rules;
    }
    for (const [digest, d] of digests)
      pol.push(
        csvLine([
          x.origin,
          'decisions',
          '',
          `${d.first}..${d.last}`,
          digest,
          '',
          d.decisions,
          [...d.rules].sort().join(' '),
          '',
          '',
          '',
          '',
        ]),
      );
  }
  return (
    csvLine([
      'host',
      'source',
      'seq',
      'time',
      'digest',
      'previous_digest',
      'held_or_denied_decisions',
      'rules_matched',
      'rule_count',
      'rules_added',
      'rules_removed',
      'rules_changed',
    ]) + pol.join('')
  );
}

/** Every rule of every recorded version: one row per (host, policy digest, rule). */
export function policyRulesCsv(hosts: { origin: string; collector: HostCollector }[]): string {
  const lines: string[] = [];
  for (const x of hosts) {
    const seen = new Set<string>();
    for (const e of x.collector.events.filter(isVersion)) {
      const rules = recordedRules(e);
      const digest = digestOf(e);
      if (rules === undefined || seen.has(digest)) continue;
      seen.add(digest);
      for (const id of Object.keys(rules).sort()) lines.push(csvLine([x.origin, digest, e.seq, id, rules[id]]));
    }
  }
  return csvLine(['host', 'policy_digest', 'first_recorded_seq', 'rule', 'rule_digest']) + lines.join('');
}
