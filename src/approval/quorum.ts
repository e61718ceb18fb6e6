/**
 * Quorum over votes that the daemon has already authenticated (signature or channel identity).
 * Pure: counts distinct humans, applies groups and four-eyes, and says where the request stands.
 */
import type { ApprovalSettings, Requester } from '../policy/types.js';
import { parseTime } from './encoding.js';
import type { ApproverRecord, QuorumInput, QuorumOutcome, Vote } from './types.js';

const lower = (s: string | undefined): string | undefined =>
  s === undefined || s === '' ? undefined : s.toLowerCase();

/** May this approver's approval count for this request? Refusals say why (for the ledger and the human). */
export function eligibility(
  approver: ApproverRecord,
  settings: ApprovalSettings,
  requester: Requester,
): { ok: true } | { ok: false; reason: string } {
  // every condition must hold: rules that name groups are intersected, never united (decision 0120)
  for (const groups of [settings.groups, ...(settings.alsoGroups ?? [])]) {
    if (groups.length > 0 && !approver.groups.some((g) => groups.includes(g))) {
      return {
        ok: false,
        reason: `${approver.name} is not in ${groups.length === 1 ? 'group' : 'any of the groups'} ${groups.join(', ')}`,
      };
    }
  }
  if (settings.fourEyes) {
    const human = lower(requester.onBehalfOf);
    const ids = [approver.name, approver.email, approver.slackUserId, approver.osUser].map(lower);
    if (human !== undefined && ids.includes(human)) {
      return {
        ok: false,
        reason: `four-eyes: ${approver.name} is the human the agent acts for (${requester.onBehalfOf})`,
      };
    }
    if (approver.osUser !== undefined && approver.osUser === requester.user) {
      return { ok: false, reason: `four-eyes: ${approver.name} is OS user ${approver.osUser}, who made the request` };
    }
  }
  return { ok: true };
}

/**
 * Where a request stands. Rules, in order:
 * - votes from names not enrolled, or whose channel identity does not map to that approver, are ignored;
 * - each approver's latest vote stands (an approver who asked may approve after the answer);
 * - any deny from an enrolled approver ends it (denying is always safe);
 * - approvals count once per distinct human (records sharing a key, OS user, Slack id or email are
 *   one human), only from eligible approvers; quorum below 1 is treated as 1;
 * - otherwise an unanswered question (asked after `repliedAt`) means needs_info.
 */
export function evaluateQuorum(input: QuorumInput): QuorumOutcome {
  const need = Math.max(1, Number.isSafeInteger(input.settings.quorum) ? input.settings.quorum : 1);
  const byName = new Map(input.approvers.map((a) => [a.name, a]));
  const latest = new Map<string, Vote>();
  for (const vote of input.votes) {
    const rec = byName.get(vote.approver);
    if (rec === undefined || !identityMatches(vote, rec)) continue;
    if (vote.action === 'deny') return { state: 'denied', by: vote.approver, reason: vote.reason };
    latest.set(vote.approver, vote);
  }
  const humans = humanIds(input.approvers);
  const counted = new Set<string>();
  const approvers: string[] = [];
  for (const vote of latest.values()) {
    if (vote.action !== 'approve') continue;
    const rec = byName.get(vote.approver)!;
    if (!eligibility(rec, input.settings, input.requester).ok) continue;
    const human = humans.get(rec.name)!;
    if (counted.has(human)) continue;
    counted.add(human);
    approvers.push(rec.name);
  }
  if (counted.size >= need) return { state: 'approved', approvers };
  const replied = input.repliedAt === undefined ? undefined : parseTime(input.repliedAt);
  const open = [...latest.values()].filter(
    (v) => v.action === 'ask' && (replied === undefined || (parseTime(v.at) ?? Infinity) > replied),
  );
  const ask = open[open.length - 1];
  if (ask !== undefined) return { state: 'needs_info', by: ask.approver, question: ask.question ?? '' };
  return { state: 'pending', have: counted.size, need };
}

/** A remote vote's verified identity must be one this approver enrolled with. */
function identityMatches(vote: Vote, rec: ApproverRecord): boolean {
  // a Slack id or Teams e-mail mapped by identity.channel_subjects is the approver enrolled with that subject
  if (vote.subject !== undefined) return rec.idp !== undefined && vote.subject === rec.idp.subject;
  if (vote.identity === undefined) return true;
  // the web page's identity is the IdP subject (case kept) the approver enrolled with
  if (vote.channel === 'web') return rec.idp !== undefined && vote.identity === rec.idp.subject;
  const id = lower(vote.identity);
  return id !== undefined && (id === lower(rec.slackUserId) || id === lower(rec.email));
}

/** Map each approver name to a representative of its human (union of shared identifiers). */
function humanIds(records: ApproverRecord[]): Map<string, string> {
  const parent = new Map<string, string>(records.map((r) => [r.name, r.name]));
  const find = (n: string): string => {
    let p = parent.get(n)!;
    while (p !== parent.get(p)) p = parent.get(p)!;
    parent.set(n, p);
    return p;
  };
  const owner = new Map<string, string>();
  for (const r of records) {
    for (const id of [
      `key:${r.publicKey}`,
      `os:${r.osUser ?? ''}`,
      `slack:${lower(r.slackUserId) ?? ''}`,
      `mail:${lower(r.email) ?? ''}`,
    ]) {
      if (id.endsWith(':')) continue;
      const other = owner.get(id);
      if (other === undefined) owner.set(id, r.name);
      else parent.set(find(r.name), find(other));
    }
  }
  return new Map(records.map((r) => [r.name, find(r.name)]));
}
