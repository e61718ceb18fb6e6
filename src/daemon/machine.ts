/**
 * Hosts the request core (src/request/transition.ts): per-request lock, expiry timers, write-ahead
 * ledger, store, announcements. Every change is written to the ledger first, then to the request
 * store, then announced (waiters, subscribers, channels); a ledger failure aborts it, so nothing is
 * announced that is not on record. Refusals of the core become the transport's ReplyError here.
 */
import { randomBytes } from 'node:crypto';
import { grantUsable } from '../approval/grants.js';
import { scopedUsable, type ScopeProbe } from '../approval/scope.js';
import type { ApproverRecord } from '../approval/types.js';
import type { JsonValue, LedgerWriter } from '../ledger/types.js';
import { Refused, type Refusal } from '../request/refusal.js';
import { escalationDue } from '../request/escalate.js';
import { isOpen, type LedgerItem, type StoredRequest } from '../request/state.js';
import { transition, type RequestEvent } from '../request/transition.js';
import type { ChannelExtension } from '../request/channel-extend.js';
import type { Ballot, ChannelSubjects } from '../request/vote.js';
import type { ErrorCode } from './messages.js';
import { KeyedLock } from './locks.js';
import { ReplyError } from './server.js';
import type { RequestStore } from './store.js';

export type { LedgerItem } from '../request/state.js';

export interface MachineDeps {
  store: RequestStore;
  ledger: LedgerWriter;
  now(): Date;
  approvers(): ApproverRecord[];
  /** Called after every committed change (waiters, subscribers, channels). */
  onChange(r: StoredRequest): void;
  onError(err: unknown, context: string): void;
}

export function newRequestId(): string {
  return `rq-${randomBytes(6).toString('hex')}`;
}

export function newExecId(): string {
  return `ex-${randomBytes(6).toString('hex')}`;
}

/** How a refusal of the core is answered over the socket. */
export function replyErrorOf(refused: Refusal, id: string): ReplyError {
  if (refused.refused === Refused.NotFound)
    return new ReplyError('not_found', `no request ${id}`, 'list requests with `guard requests --all`');
  const code: ErrorCode =
    refused.refused === Refused.NoQuestion ||
    refused.refused === Refused.NothingToRevoke ||
    refused.refused === Refused.Exists
      ? 'conflict'
      : 'refused';
  return new ReplyError(code, refused.reason);
}

export class RequestMachine {
  private readonly lock = new KeyedLock();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Policy `escalate` timers, one per open request that has yet to escalate. */
  private readonly escalations = new Map<string, NodeJS.Timeout>();

  constructor(private readonly deps: MachineDeps) {}

  /**
   * Load the request, run the core, write its records, store and announce the result. With
   * `useFirst` (consume) the store is written before the ledger: a failing ledger then loses a
   * use, never gains one.
   */
  private apply(id: string, event: RequestEvent, useFirst = false): Promise<StoredRequest | Refusal> {
    return this.lock.run(id, async () => {
      const current = this.deps.store.get(id);
      // only votes and replies (which may complete a quorum) read the registry: an invalid registry
      // then refuses approvals, never the raising or expiry of a request (held: nothing runs)
      const approvers =
        event.type === 'vote' || event.type === 'reply' || event.type === 'extend' || event.type === 'channel_extend'
          ? this.deps.approvers()
          : [];
      const change = transition(current, event, this.deps.now(), approvers);
      if ('refused' in change) return change;
      if (useFirst) this.deps.store.put(change.next);
      if (change.records.length > 0) await this.deps.ledger.appendMany(change.records);
      if (!useFirst) this.deps.store.put(change.next);
      if (event.type === 'create') this.schedule(change.next);
      this.afterChange(change.next);
      return change.next;
    });
  }

  /** apply, answering a refusal with the transport's error. */
  private async applyOrThrow(id: string, event: RequestEvent, useFirst = false): Promise<StoredRequest> {
    const out = await this.apply(id, event, useFirst);
    if ('refused' in out) throw replyErrorOf(out, id);
    return out;
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
    return this.applyOrThrow(r.id, { type: 'create', request: r, records });
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
    this.arm(this.timers, r.id, Date.parse(r.expiresAt), 'expire', () => this.expire(r.id));
    this.scheduleEscalation(r);
  }

  private scheduleEscalation(r: StoredRequest): void {
    const due = escalationDue(r);
    const old = this.escalations.get(r.id);
    if (old !== undefined) clearTimeout(old);
    this.escalations.delete(r.id);
    if (due === undefined || r.escalatedAt !== undefined) return;
    this.arm(this.escalations, r.id, due, 'escalate', () => this.escalate(r.id));
  }

  /** A timer for `id` in `timers` that runs `fire` at `at` (ms); errors go to onError. */
  private arm(timers: Map<string, NodeJS.Timeout>, id: string, at: number, what: string, fire: () => Promise<unknown>) {
    const delay = Math.max(0, at - this.deps.now().getTime());
    const timer = setTimeout(
      () => {
        timers.delete(id);
        fire().catch((err: unknown) => this.deps.onError(err, `${what} ${id}`));
      },
      Math.min(delay, 2 ** 31 - 1),
    );
    timers.set(id, timer);
  }

  /** Escalate when due; a timer that fired early is re-armed, a closed or escalated request left as it is. */
  async escalate(id: string): Promise<StoredRequest | undefined> {
    const out = await this.apply(id, { type: 'escalate' });
    if (!('refused' in out)) return out;
    const current = this.deps.store.get(id);
    if (out.refused === Refused.NotDue && current !== undefined) this.scheduleEscalation(current);
    return current;
  }

  private clearTimer(id: string): void {
    const t = this.timers.get(id);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(id);
    const e = this.escalations.get(id);
    if (e !== undefined) clearTimeout(e);
    this.escalations.delete(id);
  }

  stop(): void {
    for (const t of [...this.timers.values(), ...this.escalations.values()]) clearTimeout(t);
    this.timers.clear();
    this.escalations.clear();
  }

  /** Expire at the deadline; a timer that fired early is re-armed, a closed request left as it is. */
  async expire(id: string): Promise<StoredRequest | undefined> {
    const out = await this.apply(id, { type: 'expire' });
    if (!('refused' in out)) return out;
    const current = this.deps.store.get(id);
    if (out.refused === Refused.NotDue && current !== undefined) this.schedule(current);
    return current;
  }

  /** Cancel an open request; a request already closed is left as it is. */
  async cancel(id: string, reason: string): Promise<StoredRequest | undefined> {
    const out = await this.apply(id, { type: 'cancel', reason });
    return 'refused' in out ? this.deps.store.get(id) : out;
  }

  /** Revocation ends a pending request or an approved grant at once. Anyone local may revoke. */
  async revoke(
    id: string,
    by: string,
    reason: string | undefined,
    record?: Record<string, JsonValue>,
  ): Promise<StoredRequest> {
    return this.applyOrThrow(id, { type: 'revoke', by, reason, record });
  }

  /** A revocation clicked on a channel by a mapped approver (decision 1094); `record` joins the ledger entry. */
  async revokeFromChannel(
    id: string,
    by: string,
    reason: string,
    record: Record<string, JsonValue>,
  ): Promise<StoredRequest | Refusal> {
    return this.apply(id, { type: 'revoke', by, reason, record });
  }

  /** Count a human's ballot (signed or from a channel); a refusal is returned for the caller to record. */
  async vote(id: string, ballot: Ballot): Promise<StoredRequest | Refusal> {
    return this.apply(id, { type: 'vote', ballot });
  }

  /** An approver's signed extension of an approved grant (decision 1087); a refusal is returned. */
  async extend(id: string, signed: unknown): Promise<StoredRequest | Refusal> {
    return this.apply(id, { type: 'extend', signed });
  }

  /** An extension asked for on a channel (decision 1091); a refusal is returned. */
  async extendFromChannel(
    extension: ChannelExtension,
    subjects: ChannelSubjects | undefined,
  ): Promise<StoredRequest | Refusal> {
    return this.apply(extension.requestId, { type: 'channel_extend', extension, subjects });
  }

  /** The requester answers a question: back to pending, the answer shown to approvers. */
  async reply(id: string, message: string, by: string): Promise<StoredRequest> {
    return this.applyOrThrow(id, { type: 'reply', message, by });
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
    const out = await this.apply(id, { type: 'consume', fingerprint, execId, forRequest, programSha256 }, true);
    if ('refused' in out)
      throw new ReplyError(
        'refused',
        out.refused === Refused.NotFound ? `request ${id} has no grant to use` : out.reason,
      );
    return out;
  }

  /** Take one use of a session grant for another command within its scope (see consume). */
  async consumeScoped(id: string, probe: ScopeProbe, fingerprint: string, execId: string, forRequest: string) {
    const out = await this.apply(id, { type: 'consume', fingerprint, execId, forRequest, probe }, true);
    if ('refused' in out) throw new ReplyError('refused', out.reason);
    return out;
  }

  /** An approved request whose session grant covers this probe, if any. */
  findScopedGrant(probe: ScopeProbe): StoredRequest | undefined {
    const now = this.deps.now();
    return this.deps.store
      .live()
      .find((r) => r.state === 'approved' && r.grant !== undefined && scopedUsable(r.grant, probe, now));
  }

  /** An approved request with a usable grant for this fingerprint, if any. */
  findGrant(fingerprint: string): StoredRequest | undefined {
    const now = this.deps.now();
    return this.deps.store
      .approvedWithFingerprint(fingerprint)
      .find((r) => r.grant !== undefined && grantUsable(r.grant, fingerprint, now).ok);
  }
}
