/**
 * The request state machine: pending → approved | denied | expired | cancelled | revoked, plus
 * needs_info. Every transition is written to the ledger first (write-ahead), then to the request
 * store, then announced (waiters, subscribers, channels). Transitions on one request are
 * serialised; a ledger failure aborts the transition, so nothing is announced that is not on record.
 */
import { randomBytes } from 'node:crypto';
import { consumeGrant, grantUsable, makeGrant, revokeGrant } from '../approval/grants.js';
import { evaluateQuorum } from '../approval/quorum.js';
import type { ApproverRecord, Vote } from '../approval/types.js';
import type { RequestState } from '../channels/types.js';
import type { JsonValue, LedgerWriter, RecordType } from '../ledger/types.js';
import { KeyedLock } from './locks.js';
import { isOpen, type StoredRequest } from './record.js';
import { ReplyError } from './server.js';
import type { RequestStore } from './store.js';

export interface MachineDeps {
  store: RequestStore;
  ledger: LedgerWriter;
  now(): Date;
  approvers(): ApproverRecord[];
  /** Called after every committed change (waiters, subscribers, channels). */
  onChange(r: StoredRequest): void;
  onError(err: unknown, context: string): void;
}

export type LedgerItem = { type: RecordType; payload: JsonValue };

export function newRequestId(): string {
  return `rq-${randomBytes(6).toString('hex')}`;
}

export function newExecId(): string {
  return `ex-${randomBytes(6).toString('hex')}`;
}

export class RequestMachine {
  private readonly lock = new KeyedLock();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly deps: MachineDeps) {}

  /** Run fn with the request locked and loaded; fn returns the new record or undefined. */
  private async transition(
    id: string,
    fn: (r: StoredRequest) => { next: StoredRequest; records: LedgerItem[] } | undefined,
  ): Promise<StoredRequest> {
    return this.lock.run(id, async () => {
      const current = this.deps.store.get(id);
      if (current === undefined)
        throw new ReplyError('not_found', `no request ${id}`, 'list requests with `guard requests --all`');
      const change = fn(current);
      if (change === undefined) return current;
      if (change.records.length > 0) await this.deps.ledger.appendMany(change.records);
      const next = { ...change.next, updatedAt: this.deps.now().toISOString() };
      next.view = { ...next.view, state: next.state };
      this.deps.store.put(next);
      this.afterChange(next);
      return next;
    });
  }

  private afterChange(r: StoredRequest): void {
    if (!isOpen(r)) this.clearTimer(r.id);
    try {
      this.deps.onChange(r);
    } catch (err) {
      this.deps.onError(err, 'onChange');
    }
  }

  /** Commit a new open request (request + decision records already built by the caller). */
  async create(r: StoredRequest, records: LedgerItem[]): Promise<StoredRequest> {
    return this.lock.run(r.id, async () => {
      await this.deps.ledger.appendMany(records);
      this.deps.store.put(r);
      this.schedule(r);
      this.afterChange(r);
      return r;
    });
  }

  /** Re-arm expiry timers after a restart; requests already past their deadline expire now. */
  restore(onOrphan: (r: StoredRequest) => void): number {
    let n = 0;
    for (const r of this.deps.store.live()) {
      if (!isOpen(r)) continue;
      n++;
      this.schedule(r);
      if (!r.detached) onOrphan(r);
    }
    return n;
  }

  private schedule(r: StoredRequest): void {
    this.clearTimer(r.id);
    const delay = Math.max(0, Date.parse(r.expiresAt) - this.deps.now().getTime());
    const timer = setTimeout(
      () => {
        this.timers.delete(r.id);
        this.expire(r.id).catch((err: unknown) => this.deps.onError(err, `expire ${r.id}`));
      },
      Math.min(delay, 2 ** 31 - 1),
    );
    this.timers.set(r.id, timer);
  }

  private clearTimer(id: string): void {
    const t = this.timers.get(id);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(id);
  }

  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  async expire(id: string): Promise<StoredRequest> {
    return this.transition(id, (r) => {
      if (!isOpen(r)) return undefined;
      if (Date.parse(r.expiresAt) > this.deps.now().getTime()) {
        this.schedule(r);
        return undefined;
      }
      return this.close(r, 'expired', 'expired', { requestId: r.id, expiresAt: r.expiresAt }, 'nobody decided in time');
    });
  }

  async cancel(id: string, reason: string): Promise<StoredRequest> {
    return this.transition(id, (r) =>
      isOpen(r) ? this.close(r, 'cancelled', 'cancelled', { requestId: r.id, reason }, reason) : undefined,
    );
  }

  /** Revocation ends a pending request or an approved grant at once. Anyone local may revoke. */
  async revoke(id: string, by: string, reason: string | undefined): Promise<StoredRequest> {
    return this.transition(id, (r) => {
      const why = reason ?? `revoked by ${by}`;
      if (isOpen(r)) {
        return this.close(r, 'revoked', 'grant_revoked', { requestId: r.id, scope: 'request', by, reason: why }, why);
      }
      if (r.state === 'approved' && r.grant !== undefined && !r.grant.revoked) {
        const next = this.close(
          r,
          'revoked',
          'grant_revoked',
          { requestId: r.id, scope: 'grant', by, reason: why },
          why,
        );
        next.next.grant = revokeGrant(r.grant);
        return next;
      }
      throw new ReplyError('conflict', `request ${r.id} is ${r.state}: nothing to revoke`);
    });
  }

  private close(r: StoredRequest, state: RequestState, type: RecordType, payload: JsonValue, reason: string) {
    return {
      next: { ...r, state, view: { ...r.view, decisionReason: reason } },
      records: [{ type, payload }],
    };
  }

  /**
   * Add an authenticated vote (signature or channel identity already checked by the caller,
   * which also built the `approval` ledger record) and apply the quorum.
   */
  async vote(id: string, vote: Vote, approvalRecord: LedgerItem): Promise<StoredRequest> {
    return this.transition(id, (r) => {
      if (!isOpen(r)) throw new ReplyError('refused', `request ${id} is ${r.state}, no longer open to decisions`);
      const votes = [...r.votes, vote];
      const withVote: StoredRequest = {
        ...r,
        votes,
        view: {
          ...r.view,
          approvals:
            vote.action === 'approve'
              ? [
                  ...r.view.approvals.filter((a) => a.approver !== vote.approver),
                  { approver: vote.approver, channel: vote.channel, at: vote.at },
                ]
              : r.view.approvals,
        },
      };
      const applied = this.applyQuorum(withVote);
      return { next: applied.next, records: [approvalRecord, ...applied.records] };
    });
  }

  private applyQuorum(r: StoredRequest): { next: StoredRequest; records: LedgerItem[] } {
    const outcome = evaluateQuorum({
      settings: r.settings,
      requester: r.requester,
      votes: r.votes,
      approvers: this.deps.approvers(),
      repliedAt: r.repliedAt,
    });
    const now = this.deps.now();
    switch (outcome.state) {
      case 'approved': {
        const grant = makeGrant(r.id, r.fingerprint, r.settings, now);
        const next: StoredRequest = {
          ...r,
          state: 'approved',
          grant,
          view: { ...r.view, decidedBy: outcome.approvers.join(', ') },
        };
        const payload = {
          requestId: r.id,
          source: 'quorum',
          state: 'approved',
          approvers: outcome.approvers,
          grant: { expiresAt: grant.expiresAt, uses: grant.usesLeft },
        };
        return { next, records: [{ type: 'decision', payload }] };
      }
      case 'denied': {
        const next: StoredRequest = {
          ...r,
          state: 'denied',
          view: { ...r.view, decidedBy: outcome.by, decisionReason: outcome.reason },
        };
        const payload = {
          requestId: r.id,
          source: 'quorum',
          state: 'denied',
          by: outcome.by,
          reason: outcome.reason ?? null,
        };
        return { next, records: [{ type: 'decision', payload }] };
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

  /** The requester answers a question: back to pending, the answer shown to approvers. */
  async reply(id: string, message: string, by: string): Promise<StoredRequest> {
    return this.transition(id, (r) => {
      if (r.state !== 'needs_info')
        throw new ReplyError('conflict', `request ${id} is ${r.state}: no question to answer`);
      const at = this.deps.now().toISOString();
      const replied: StoredRequest = { ...r, repliedAt: at, view: { ...r.view, reply: message } };
      const applied = this.applyQuorum(replied);
      const record: LedgerItem = {
        type: 'decision',
        payload: { requestId: id, source: 'requester_reply', by, message },
      };
      return { next: applied.next, records: [record, ...applied.records] };
    });
  }

  /**
   * Take one use of a request's grant and commit `exec_start` before the caller may run anything.
   * The use is taken first: if the ledger then fails, a use is lost, never gained.
   */
  async consume(
    id: string,
    fingerprint: string,
    execId: string,
    forRequest: string,
    /** The digest of the program the client will run (it runs the very file it hashed). */
    programSha256?: string,
  ): Promise<StoredRequest> {
    return this.lock.run(id, async () => {
      const r = this.deps.store.get(id);
      if (r === undefined || r.state !== 'approved' || r.grant === undefined) {
        throw new ReplyError('refused', `request ${id} has no grant to use`);
      }
      const now = this.deps.now();
      const usable = grantUsable(r.grant, fingerprint, now);
      if (!usable.ok) throw new ReplyError('refused', `the grant of ${id} cannot be used: ${usable.reason}`);
      const next: StoredRequest = {
        ...r,
        grant: consumeGrant(r.grant, fingerprint, now),
        updatedAt: now.toISOString(),
      };
      this.deps.store.put(next);
      await this.deps.ledger.append('exec_start', {
        requestId: forRequest,
        execId,
        grant: id,
        fingerprint,
        ...(programSha256 === undefined ? {} : { programSha256 }),
        usesLeft: next.grant!.usesLeft,
      });
      this.afterChange(next);
      return next;
    });
  }

  /** An approved request with a usable grant for this fingerprint, if any. */
  findGrant(fingerprint: string): StoredRequest | undefined {
    const now = this.deps.now();
    return this.deps.store
      .approvedWithFingerprint(fingerprint)
      .find((r) => r.grant !== undefined && grantUsable(r.grant, fingerprint, now).ok);
  }
}
