/**
 * Policy `escalate: { after, to }` on an approve rule: a request still open `after` past its creation
 * may also be decided by group `to`. Pure, like the rest of the core (src/request/transition.ts):
 * it happens once, never before its time, never to a closed request. A request nobody has voted on
 * yet also gets one `request_reminder` record, written with the escalation.
 */
import type { ApprovalSettings } from '../policy/types.js';
import { refusal, Refused, type Refusal } from './refusal.js';
import { isOpen, type LedgerItem, type StoredRequest } from './state.js';

/** When the request escalates, or undefined when its rule does not escalate. */
export function escalationDue(r: StoredRequest): number | undefined {
  const e = r.settings.escalate;
  return e === undefined ? undefined : Date.parse(r.createdAt) + e.afterSeconds * 1000;
}

/** Every group condition gains `to`; an empty condition (any approver) stays as it is. */
function widened(s: ApprovalSettings, to: string): ApprovalSettings {
  const add = (g: string[]): string[] => (g.length === 0 || g.includes(to) ? g : [...g, to]);
  return { ...s, groups: add(s.groups), ...(s.alsoGroups === undefined ? {} : { alsoGroups: s.alsoGroups.map(add) }) };
}

export function escalate(r: StoredRequest, now: Date): { next: StoredRequest; records: LedgerItem[] } | Refusal {
  if (!isOpen(r)) return refusal(Refused.NotPending, `request ${r.id} is ${r.state}`);
  const due = escalationDue(r);
  const e = r.settings.escalate;
  if (due === undefined || e === undefined) return refusal(Refused.NoEscalation, `request ${r.id} does not escalate`);
  if (r.escalatedAt !== undefined) return refusal(Refused.NoEscalation, `request ${r.id} already escalated`);
  if (due > now.getTime())
    return refusal(Refused.NotDue, `request ${r.id} escalates at ${new Date(due).toISOString()}`);
  const records: LedgerItem[] = [
    { type: 'request_escalated', payload: { requestId: r.id, to: e.to, afterSeconds: e.afterSeconds } },
  ];
  if (r.votes.length === 0)
    records.push({ type: 'request_reminder', payload: { requestId: r.id, reason: 'nobody has decided yet' } });
  return {
    next: {
      ...r,
      settings: widened(r.settings, e.to),
      escalatedAt: now.toISOString(),
      view: { ...r.view, escalatedTo: e.to },
    },
    records,
  };
}
