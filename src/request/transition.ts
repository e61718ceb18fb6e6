/**
 * The request lifecycle as one pure function: given a request, an event, the time and the enrolled
 * approvers, either the next request and the ledger records that must be written before it counts,
 * or a refusal. No I/O, no timers, no transport errors: the daemon hosts it (src/daemon/machine.ts).
 *
 *   create → pending ⇄ needs_info → approved (grant) | denied | expired | cancelled | revoked
 *   approved → revoked (the grant); consume takes one use of the grant.
 */
import { consumeGrant, grantUsable, makeGrant, revokeGrant, type Grant } from '../approval/grants.js';
import { scopedUsable, type ScopeProbe } from '../approval/scope.js';
import { grantFromVotes } from './grant-scope.js';
import { evaluateQuorum } from '../approval/quorum.js';
import type { ApproverRecord } from '../approval/types.js';
import type { JsonValue, RecordType } from '../ledger/types.js';
import { refusal, Refused, type Refusal } from './refusal.js';
import { isOpen, type LedgerItem, type RequestState, type StoredRequest } from './state.js';
import { acceptVote, type Ballot, type ChannelSubjects } from './vote.js';
import { escalate } from './escalate.js';
import { extendGrant } from './extend.js';
import { extendByChannel, type ChannelExtension } from './channel-extend.js';

export type RequestEvent =
  /** A new open request; `records` (the request and policy decision) are written with it. */
  | { type: 'create'; request: StoredRequest; records: LedgerItem[] }
  | { type: 'vote'; ballot: Ballot }
  /** The requester answers a question (text already redacted). */
  | { type: 'reply'; message: string; by: string }
  | { type: 'expire' }
  /** Policy `escalate`, due `after` past creation: group `to` may also decide (src/request/escalate.ts). */
  | { type: 'escalate' }
  | { type: 'cancel'; reason: string }
  /** Ends an open request or an approved grant at once. */
  | { type: 'revoke'; by: string; reason: string | undefined; record?: Record<string, JsonValue> | undefined }
  /** An approver's signed extension of the approved grant (src/request/extend.ts). */
  | { type: 'extend'; signed: unknown }
  /** An extension asked for on a channel, by the identity it verified (src/request/channel-extend.ts). */
  | { type: 'channel_extend'; extension: ChannelExtension; subjects?: ChannelSubjects | undefined }
  /** One use of the grant, for the command `execId` run under request `forRequest`. */
  | {
      type: 'consume';
      fingerprint: string;
      execId: string;
      forRequest: string;
      programSha256?: string | undefined;
      /** Another command under a session grant (src/approval/scope.ts): usable when the scope covers it. */
      probe?: ScopeProbe | undefined;
    };

export interface Change {
  next: StoredRequest;
  /** Written to the ledger before the change is committed (write-ahead). */
  records: LedgerItem[];
}

export function transition(
  r: StoredRequest | undefined,
  event: RequestEvent,
  now: Date,
  approvers: ApproverRecord[],
): Change | Refusal {
  if (event.type === 'create') {
    if (r !== undefined) return refusal(Refused.Exists, `request ${r.id} already exists`);
    return { next: event.request, records: event.records };
  }
  if (event.type === 'vote') return vote(r, event.ballot, now, approvers);
  // the host, which knows the id it looked up, names it in its answer
  if (r === undefined) return refusal(Refused.NotFound, 'no such request');
  const change = step(r, event, now, approvers);
  if ('refused' in change) return change;
  return { next: stamped(change.next, now), records: change.records };
}

/** Every committed change carries its time, and the view shows the state. */
function stamped(next: StoredRequest, now: Date): StoredRequest {
  return { ...next, updatedAt: now.toISOString(), view: { ...next.view, state: next.state } };
}

function step(
  r: StoredRequest,
  event: Exclude<RequestEvent, { type: 'create' | 'vote' }>,
  now: Date,
  approvers: ApproverRecord[],
): Change | Refusal {
  switch (event.type) {
    case 'expire':
      if (!isOpen(r)) return refusal(Refused.NotPending, `request ${r.id} is ${r.state}`);
      if (Date.parse(r.expiresAt) > now.getTime())
        return refusal(Refused.NotDue, `request ${r.id} expires at ${r.expiresAt}`);
      return close(r, 'expired', 'expired', { requestId: r.id, expiresAt: r.expiresAt }, 'nobody decided in time');
    case 'escalate':
      return escalate(r, now);
    case 'extend':
      return extendGrant(r, event.signed, now, approvers);
    case 'channel_extend':
      return extendByChannel(r, event.extension, now, approvers, event.subjects);
    case 'cancel':
      if (!isOpen(r)) return refusal(Refused.NotPending, `request ${r.id} is ${r.state}`);
      return close(r, 'cancelled', 'cancelled', { requestId: r.id, reason: event.reason }, event.reason);
    case 'revoke': {
      const why = event.reason ?? `revoked by ${event.by}`;
      if (isOpen(r))
        return close(
          r,
          'revoked',
          'grant_revoked',
          { ...event.record, requestId: r.id, scope: 'request', by: event.by, reason: why },
          why,
        );
      if (r.state === 'approved' && r.grant !== undefined && !r.grant.revoked) {
        const c = close(
          r,
          'revoked',
          'grant_revoked',
          { ...event.record, requestId: r.id, scope: 'grant', by: event.by, reason: why },
          why,
        );
        return { next: { ...c.next, grant: revokeGrant(r.grant) }, records: c.records };
      }
      return refusal(Refused.NothingToRevoke, `request ${r.id} is ${r.state}: nothing to revoke`);
    }
    case 'reply': {
      if (r.state !== 'needs_info')
        return refusal(Refused.NoQuestion, `request ${r.id} is ${r.state}: no question to answer`);
      const replied: StoredRequest = { ...r, repliedAt: now.toISOString(), view: { ...r.view, reply: event.message } };
      const applied = applyQuorum(replied, now, approvers);
      const record: LedgerItem = {
        type: 'decision',
        payload: { requestId: r.id, source: 'requester_reply', by: event.by, message: event.message },
      };
      return { next: applied.next, records: [record, ...applied.records] };
    }
    case 'consume': {
      if (r.state !== 'approved' || r.grant === undefined)
        return refusal(Refused.NoGrant, `request ${r.id} has no grant to use`);
      let grant: Grant;
      if (event.probe !== undefined) {
        if (!scopedUsable(r.grant, event.probe, now))
          return refusal(Refused.GrantUnusable, `the session grant of ${r.id} does not cover this command`);
        grant = { ...r.grant, usesLeft: r.grant.usesLeft - 1 };
      } else {
        const usable = grantUsable(r.grant, event.fingerprint, now);
        if (!usable.ok) return refusal(Refused.GrantUnusable, `the grant of ${r.id} cannot be used: ${usable.reason}`);
        grant = consumeGrant(r.grant, event.fingerprint, now);
      }
      const record: LedgerItem = {
        type: 'exec_start',
        payload: {
          requestId: event.forRequest,
          execId: event.execId,
          grant: r.id,
          ...(event.probe === undefined ? {} : { scope: r.grant.scope?.text ?? null }),
          fingerprint: event.fingerprint,
          ...(event.programSha256 === undefined ? {} : { programSha256: event.programSha256 }),
          usesLeft: grant.usesLeft,
        },
      };
      return { next: { ...r, grant }, records: [record] };
    }
  }
}

function vote(r: StoredRequest | undefined, ballot: Ballot, now: Date, approvers: ApproverRecord[]): Change | Refusal {
  const accepted = acceptVote(r, ballot, now, approvers);
  if ('refused' in accepted) return accepted;
  const { vote: v, record } = accepted;
  const current = r!;
  const withVote: StoredRequest = {
    ...current,
    votes: [...current.votes, v],
    view: {
      ...current.view,
      approvals:
        v.action === 'approve'
          ? [
              ...current.view.approvals.filter((a) => a.approver !== v.approver),
              { approver: v.approver, channel: v.channel, at: v.at },
            ]
          : current.view.approvals,
    },
  };
  const applied = applyQuorum(withVote, now, approvers);
  return { next: stamped(applied.next, now), records: [record, ...applied.records] };
}

function close(r: StoredRequest, state: RequestState, type: RecordType, payload: JsonValue, reason: string): Change {
  return { next: { ...r, state, view: { ...r.view, decisionReason: reason } }, records: [{ type, payload }] };
}

/** Where the votes leave the request: approved (with its grant), denied, a question, or still pending. */
function applyQuorum(r: StoredRequest, now: Date, approvers: ApproverRecord[]): Change {
  const outcome = evaluateQuorum({
    settings: r.settings,
    requester: r.requester,
    votes: r.votes,
    approvers,
    repliedAt: r.repliedAt,
  });
  switch (outcome.state) {
    case 'approved': {
      const grant = grantFromVotes(r, now) ?? makeGrant(r.id, r.fingerprint, r.settings, now);
      const payload = {
        requestId: r.id,
        source: 'quorum',
        state: 'approved',
        approvers: outcome.approvers,
        grant: {
          expiresAt: grant.expiresAt,
          uses: grant.usesLeft,
          ...(grant.scope === undefined ? {} : { scope: grant.scope.text }),
        },
      };
      return {
        next: { ...r, state: 'approved', grant, view: { ...r.view, decidedBy: outcome.approvers.join(', ') } },
        records: [{ type: 'decision', payload }],
      };
    }
    case 'denied': {
      const payload = {
        requestId: r.id,
        source: 'quorum',
        state: 'denied',
        by: outcome.by,
        reason: outcome.reason ?? null,
      };
      return {
        next: { ...r, state: 'denied', view: { ...r.view, decidedBy: outcome.by, decisionReason: outcome.reason } },
        records: [{ type: 'decision', payload }],
      };
    }
    case 'needs_info':
      return {
        next: {
          ...r,
          state: 'needs_info',
          view: { ...r.view, question: outcome.question, askedBy: outcome.by, reply: undefined },
        },
        records: [],
      };
    case 'pending':
      return { next: { ...r, state: 'pending' }, records: [] };
  }
}
