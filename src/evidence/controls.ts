/**
 * Which ledger evidence supports which control. Control ids only (the standards' texts are not
 * reproduced); one line of rationale each. ISO/IEC 27001:2022 Annex A and AICPA SOC 2 (2017 TSC).
 */
export interface ControlMapping {
  framework: 'ISO/IEC 27001:2022' | 'SOC 2';
  control: string;
  evidence: string;
  rationale: string;
}

export const CONTROLS: ControlMapping[] = [
  {
    framework: 'ISO/IEC 27001:2022',
    control: 'A.5.3',
    evidence: 'approval, approval_refused',
    rationale:
      'Segregation of duties: requester_is_approver and four-eyes refusals show no one approved their own request.',
  },
  {
    framework: 'ISO/IEC 27001:2022',
    control: 'A.5.15',
    evidence: 'request, decision (policy)',
    rationale: 'Access control: every privileged command was judged by the policy rule shown, in force by digest.',
  },
  {
    framework: 'ISO/IEC 27001:2022',
    control: 'A.5.18',
    evidence: 'approval, decision (quorum), grant_revoked, expired',
    rationale:
      'Access rights: each held command ran only on a grant from enrolled approvers, bounded in time and uses.',
  },
  {
    framework: 'ISO/IEC 27001:2022',
    control: 'A.8.2',
    evidence: 'request, decision, approval, exec_start, exec_end',
    rationale: 'Privileged access rights: the population of held commands with who approved, when, and what ran.',
  },
  {
    framework: 'ISO/IEC 27001:2022',
    control: 'A.8.15',
    evidence: 'all records, checkpoints, key_rotation',
    rationale:
      'Logging: a hash-chained, signed Merkle ledger; completeness.json and inclusion proofs show nothing was removed.',
  },
  {
    framework: 'ISO/IEC 27001:2022',
    control: 'A.8.16',
    evidence: 'approval_refused, expired, recovery, policy_error',
    rationale: 'Monitoring activities: refused approvals, expiries and unclean shutdowns are listed as exceptions.',
  },
  {
    framework: 'ISO/IEC 27001:2022',
    control: 'A.8.32',
    evidence: 'policy_changed, ledger_open',
    rationale: 'Change management: each policy version in force is listed with its digest and when it changed.',
  },
  {
    framework: 'SOC 2',
    control: 'CC6.1',
    evidence: 'request, decision (policy)',
    rationale: 'Logical access security: commands are matched against policy before they run.',
  },
  {
    framework: 'SOC 2',
    control: 'CC6.2',
    evidence: 'approval (approver identity level)',
    rationale: 'Authorization of access: approvers are identified by a signed key or a channel-verified identity.',
  },
  {
    framework: 'SOC 2',
    control: 'CC6.3',
    evidence: 'approval, decision (quorum), grant_revoked',
    rationale: 'Role-based access and least privilege: grants are per command, per fingerprint, with use counts.',
  },
  {
    framework: 'SOC 2',
    control: 'CC7.2',
    evidence: 'approval_refused, expired, recovery, completeness.json',
    rationale: 'Monitoring for anomalies: exceptions and ledger gaps are reported first.',
  },
  {
    framework: 'SOC 2',
    control: 'CC8.1',
    evidence: 'policy_changed',
    rationale: 'Change management: policy changes are recorded with previous and new digests.',
  },
];
