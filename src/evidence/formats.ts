/**
 * Machine-readable outputs: NIST OSCAL 1.0.6 assessment results (one observation per population
 * item, one finding per mapped control, deterministic v5 UUIDs) and OCSF 1.1 events as JSON Lines
 * (Process Activity 1007 for executions, User Access Management 3005 for approval decisions).
 */
import type { Exception, Row } from './analyse.js';
import { CONTROLS } from './controls.js';
import { uuidV5 } from './uuid.js';

export interface PackMeta {
  from: string;
  to: string;
  /** Latest record time across hosts: the pack's own timestamp, so the same input gives the same pack. */
  asOf: string;
  hosts: string[];
  guardVersion: string;
}

/** Exception kinds that bear on each control (a finding is not satisfied when one occurs). */
const CONTROL_EXCEPTIONS: Record<string, string[]> = {
  'A.5.3': ['self_approval', 'self_approval_attempt'],
  'A.5.15': ['no_policy_decision'],
  'A.5.18': ['exec_without_approval', 'ran_not_as_approved', 'approval_by_removed_approver'],
  'A.8.2': ['exec_without_approval', 'ran_not_as_approved', 'self_approval'],
  'A.8.15': ['bundle_rejected', 'silent_host', 'unclean_shutdown'],
  'A.8.16': [],
  'A.8.32': ['policy_error'],
  'CC6.1': ['no_policy_decision'],
  'CC6.2': ['unverifiable_identity', 'approver_enroll_refused', 'approval_by_removed_approver'],
  'CC6.3': ['exec_without_approval', 'ran_not_as_approved', 'approval_by_removed_approver'],
  'CC7.2': ['bundle_rejected'],
  'CC8.1': ['policy_error'],
};

/** OSCAL date-times cover the years 1900–2999: an earlier period start is shown as 1900. */
function oscalTime(iso: string): string {
  return iso < '1900' ? '1900-01-01T00:00:00.000Z' : iso;
}

const idOf = (r: Row): string => uuidV5(`observation/${r.item.host}/${r.item.requestId}`);

function observation(r: Row) {
  return {
    uuid: idOf(r),
    title: `${r.item.host} ${r.item.requestId}`,
    description: `Held or denied command ${JSON.stringify(r.item.command)} (rule ${r.item.rules.join(' ') || 'none'}, risk ${r.item.risk || 'n/a'}), outcome ${r.item.outcome}; requester_is_approver ${r.requesterIsApprover}, approved_before_exec ${r.approvedBeforeExec}, ran_as_approved ${r.ranAsApproved}.`,
    methods: ['TEST'],
    collected: r.item.ts,
    remarks: `ledger ${r.item.host} record ${r.item.seq}`,
  };
}

const OBSERVATIONS = '\u0000observations\u0000';

/**
 * Writes the OSCAL assessment results as `JSON.stringify(doc, null, 2)` would, with the
 * observations (one per population item) produced one at a time, so memory does not grow with
 * the population.
 */
export function writeOscal(out: (text: string) => void, meta: PackMeta, rows: Row[], exceptions: Exception[]): void {
  const text = JSON.stringify(oscalSkeleton(meta, rows, exceptions), null, 2);
  const marker = JSON.stringify(OBSERVATIONS);
  const at = text.indexOf(marker);
  if (at < 0) {
    out(`${text}\n`);
    return;
  }
  const indent = text.slice(text.lastIndexOf('\n', at) + 1).match(/^ */)![0];
  const inner = `${indent}  `;
  out(`${text.slice(0, at)}[\n`);
  rows.forEach((r, i) => {
    const obs = JSON.stringify(observation(r), null, 2).replace(/\n/g, `\n${inner}`);
    out(`${i > 0 ? ',\n' : ''}${inner}${obs}`);
  });
  out(`\n${indent}]${text.slice(at + marker.length)}\n`);
}

function oscalSkeleton(meta: PackMeta, rows: Row[], exceptions: Exception[]): unknown {
  const byRequest = new Map(rows.map((r) => [`${r.item.host}/${r.item.requestId}`, idOf(r)]));
  const findings = CONTROLS.map((c) => {
    const kinds = CONTROL_EXCEPTIONS[c.control] ?? [];
    const hits = exceptions.filter((e) => e.severity === 'exception' && kinds.includes(e.kind));
    const related = [
      ...new Set(hits.map((e) => byRequest.get(`${e.host}/${e.requestId}`)).filter((x) => x !== undefined)),
    ];
    return {
      uuid: uuidV5(`finding/${c.control}/${meta.from}/${meta.to}/${meta.hosts.join(',')}`),
      title: `${c.framework} ${c.control}`,
      description: `${c.rationale} ${hits.length} exception(s) in the period.`,
      target: {
        type: 'objective-id',
        'target-id': c.control,
        status: { state: hits.length === 0 ? 'satisfied' : 'not-satisfied' },
      },
      ...(related.length > 0 ? { 'related-observations': related.map((u) => ({ 'observation-uuid': u })) } : {}),
    };
  });
  const doc = {
    'assessment-results': {
      uuid: uuidV5(`assessment-results/${meta.from}/${meta.to}/${meta.hosts.join(',')}/${meta.asOf}`),
      metadata: {
        title: `guard ledger evidence ${meta.from} to ${meta.to}`,
        'last-modified': meta.asOf,
        version: meta.guardVersion,
        'oscal-version': '1.0.6',
      },
      'import-ap': {
        href: '#guard-evidence-pack',
        remarks: 'No assessment plan: this pack is generated from the verified ledger alone.',
      },
      results: [
        {
          uuid: uuidV5(`result/${meta.from}/${meta.to}/${meta.hosts.join(',')}`),
          title: 'Privileged command approvals',
          description: `Population of held or denied commands on ${meta.hosts.length} host(s), tested per item.`,
          start: oscalTime(meta.from),
          ...(meta.to < '3000' ? { end: meta.to } : {}),
          'reviewed-controls': {
            'control-selections': [{ 'include-controls': CONTROLS.map((c) => ({ 'control-id': c.control })) }],
          },
          ...(rows.length > 0 ? { observations: OBSERVATIONS } : {}),
          findings,
        },
      ],
    },
  };
  return doc;
}

const OCSF_VERSION = '1.1.0';

function ocsfBase(r: Row, meta: PackMeta, time: string) {
  return {
    metadata: {
      version: OCSF_VERSION,
      product: { name: 'guard', vendor_name: 'guard', version: meta.guardVersion },
      log_name: r.item.host,
      uid: `${r.item.host}/${r.item.requestId}`,
    },
    time: Date.parse(time),
    severity_id: r.item.risk === 'critical' ? 5 : r.item.risk === 'high' ? 4 : r.item.risk === 'medium' ? 3 : 2,
    device: { hostname: r.item.host, type_id: 0 },
  };
}

/** One JSON line per event: a Launch (and Terminate) per execution, an Assign/Revoke per decision. */
export function* ocsfEvents(rows: Row[], meta: PackMeta): Generator<string> {
  for (const r of rows) {
    const i = r.item;
    const user = { name: i.requester, type_id: 99 };
    if (i.decidedAt !== '') {
      const assigned = i.outcome === 'approved' || i.outcome === 'granted';
      const activity = assigned ? 1 : 2;
      yield JSON.stringify({
        ...ocsfBase(r, meta, i.decidedAt),
        category_uid: 3,
        class_uid: 3005,
        activity_id: activity,
        type_uid: 300500 + activity,
        activity_name: assigned ? 'Assign Privileges' : 'Revoke Privileges',
        status: i.outcome,
        privileges: [`run:${i.command}`],
        user,
        actor: { user: { name: r.approvers.map((a) => a.name).join(', ') || 'policy', type_id: 99 } },
        resource: { name: i.command, uid: i.fingerprint },
      });
    }
    if (i.execStart !== undefined) {
      const proc = { cmd_line: i.command, name: i.command.split(' ')[0] ?? '', user };
      yield JSON.stringify({
        ...ocsfBase(r, meta, i.execStart.ts),
        category_uid: 1,
        class_uid: 1007,
        activity_id: 1,
        type_uid: 100701,
        activity_name: 'Launch',
        actor: { user },
        process: proc,
      });
      if (i.execEnd !== undefined) {
        yield JSON.stringify({
          ...ocsfBase(r, meta, i.execEnd.ts),
          category_uid: 1,
          class_uid: 1007,
          activity_id: 2,
          type_uid: 100702,
          activity_name: 'Terminate',
          actor: { user },
          process: proc,
          exit_code: i.execEnd.exitCode ?? undefined,
        });
      }
    }
  }
}
