/**
 * What the app asks of the outside world: the daemon link (live requests, history, decisions)
 * and the approver's key session (unlock, sign). Decisions are signed exactly as `guard approve
 * ID` signs them: the statement binds the request id and the fingerprint the daemon reports.
 */
import { batchExclusion, batchReason, batchStatements, sendEach, type BatchItem } from '../approval/batch.js';
import { extendStatement } from '../approval/extend.js';
import { WrongPassphraseError } from '../approval/keys.js';
import type { DecisionAction } from '../approval/types.js';
import type { RequestView } from '../channels/types.js';
import { DaemonConnectionError, DaemonReplyError } from '../daemon/client.js';
import { KeyLockedError, type ApproverSession } from './approver.js';
import type { DaemonLink } from './link.js';
import { grantText } from './grants.js';
import type {
  BatchIntent,
  DecisionIntent,
  ExtendIntent,
  GrantInfo,
  HistoryItem,
  Intent,
  RevokeIntent,
} from './model.js';
import type { Action } from './reducer.js';
import { isOpenState } from './select.js';
import { parseChain, parseGrants, parseHistory, requestCommand } from './wire.js';
import { messageOf } from '../errors.js';

/** The history view shows this many recent decisions. */
export const HISTORY_ITEMS = 200;
const PAGE = 2000;
/** Bound on records read per refresh (the daemon returns records oldest first). */
const MAX_PAGES = 50;

export interface Backend {
  start(emit: (a: Action) => void): void;
  stop(): void;
  /**
   * Unlock the approver key to sign `intent`; the passphrase buffer is zeroed. Resolves with the
   * end of the unlock window (ms epoch). A wrong passphrase is reported to the daemon, like the CLI does.
   */
  unlock(passphrase: Buffer, intent: Intent): Promise<number>;
  lock(): void;
  /** Sign and send; resolves with a message for the human. Throws DecisionError. */
  decide(intent: DecisionIntent): Promise<string>;
  /**
   * Decide the requests of a batch (decision 1113): each is read again from the daemon, the ones
   * still open are signed with one use of the key, each over its own fingerprint, and sent alone.
   * Resolves with a summary and, per request, what happened. Throws DecisionError when nothing was sent.
   */
  decideBatch(intent: BatchIntent): Promise<BatchOutcome>;
  /** The live grants the TUI may show, each with the extension its rule allows (decision 1100). */
  grants(): Promise<GrantInfo[]>;
  /** Sign the extension exactly as `guard extend` does and send it; a message for the human. Throws DecisionError. */
  extend(intent: ExtendIntent): Promise<string>;
  /** Revoke the grant (no key: revoking only narrows); a message for the human. Throws DecisionError. */
  revoke(intent: RevokeIntent): Promise<string>;
  history(): Promise<HistoryItem[]>;
  /** Every ledger record of one request, oldest first (read-only). */
  record(requestId: string): Promise<HistoryItem[]>;
}

export interface BatchOutcome {
  message: string;
  /** Per request id: its new state, or why it was not decided. */
  results: Record<string, string>;
}

export class DecisionError extends Error {
  constructor(
    message: string,
    readonly locked: boolean,
  ) {
    super(message);
  }
}

const PAST: Record<DecisionAction, string> = { approve: 'approved', deny: 'denied', ask: 'asked about' };

function outcome(action: DecisionAction, v: RequestView, approver: string): string {
  const base = `${PAST[action]} ${v.id} as ${approver} (signed)`;
  if (v.state === 'approved') return `${base}: APPROVED; the command may run`;
  if (v.state === 'denied') return `${base}: DENIED; the requester gets your reason`;
  if (v.state === 'needs_info') return `${base}: waiting for the requester's answer`;
  if (action === 'approve') return `${base}: ${v.approvals.length} of ${v.quorum} approvals, waiting for others`;
  return `${base}: now ${v.state}`;
}

function explain(err: unknown): DecisionError {
  if (err instanceof DecisionError) return err;
  if (err instanceof KeyLockedError) return new DecisionError(err.message, true);
  if (err instanceof DaemonReplyError) return new DecisionError(`the daemon refused it: ${err.message}`, false);
  if (err instanceof DaemonConnectionError && err.code === 'ETIMEDOUT')
    return new DecisionError(`${err.message}: it may or may not be recorded; see the history (h)`, false);
  if (err instanceof DaemonConnectionError)
    return new DecisionError(`not sent: the daemon is unreachable (${err.message})`, false);
  return new DecisionError(`not sent: ${messageOf(err)}`, false);
}

export class DaemonBackend implements Backend {
  private lastSeq = 0;
  private items: HistoryItem[] = [];
  /** Commands of the requests the history shows (bounded: only ids among `items`). */
  private commands = new Map<string, string>();
  /** One read of the live grants at a time; callers meanwhile share the read after it. */
  private grantsRead: Promise<GrantInfo[]> | undefined;
  private grantsNext: Promise<GrantInfo[]> | undefined;

  constructor(
    private readonly link: DaemonLink,
    private readonly session: ApproverSession,
    private readonly now: () => number,
    /** Records asked for per `history` call (tests use tiny pages to cross page boundaries). */
    private readonly pageSize = PAGE,
  ) {}

  start(emit: (a: Action) => void): void {
    this.link.start((a) => {
      emit(a);
      // a request that left the open states may have gained, used or lost a grant: read them again
      if (a.type === 'snapshot' || (a.type === 'update' && !isOpenState(a.view.state)))
        this.grants().then(
          (grants) => emit({ type: 'grants-loaded', grants }),
          (err: unknown) => emit({ type: 'grants-failed', message: messageOf(err) }),
        );
    });
  }

  stop(): void {
    this.link.stop();
    this.session.lock();
  }

  async unlock(passphrase: Buffer, intent: Intent): Promise<number> {
    try {
      return this.session.unlock(passphrase);
    } catch (err) {
      if (err instanceof WrongPassphraseError) {
        // an attempt without the approver's secret leaves a trace in the ledger (best effort)
        await this.link
          .call({
            type: 'report_refusal',
            requestId: intent.requestId,
            approver: this.session.name,
            reason: 'wrong passphrase (approver key could not be unlocked)',
          })
          .catch(() => undefined);
      }
      throw err;
    }
  }

  lock(): void {
    this.session.lock();
  }

  async decide(intent: DecisionIntent): Promise<string> {
    try {
      // The fingerprint the approver signs over comes from the daemon's own record of the request.
      const detail = await this.link.call({ type: 'show', requestId: intent.requestId });
      const state = detail.view.state;
      if (state !== 'pending' && state !== 'needs_info')
        throw new DecisionError(`not sent: ${intent.requestId} is ${state} now, nothing left to decide`, false);
      const signed = this.session.sign({
        v: 1,
        requestId: intent.requestId,
        fingerprint: detail.fingerprint,
        action: intent.action,
        reason: intent.reason,
        question: intent.question,
        at: new Date(this.now()).toISOString(),
        approver: this.session.name,
        grant: intent.action === 'approve' ? intent.grant : undefined,
        preview: detail.view.preview?.sha256,
      });
      const res = await this.link.call({ type: 'decide', signed, via: 'tui' });
      return outcome(intent.action, res.view, this.session.name);
    } catch (err) {
      throw explain(err);
    }
  }

  async decideBatch(intent: BatchIntent): Promise<BatchOutcome> {
    const { decision: action, session } = intent;
    const results: Record<string, string> = {};
    try {
      const items: BatchItem[] = [];
      for (const id of intent.ids) {
        // the fingerprint each signature binds comes from the daemon's own record of that request
        const detail = await this.link.call({ type: 'show', requestId: id });
        const why = batchExclusion(detail, action, session);
        if (why === undefined) items.push(detail);
        else results[id] = `not sent: ${why}`;
      }
      if (items.length === 0) throw new DecisionError(`not sent: nothing left to ${action} in this batch`, false);
      const reason = batchReason(action, items.length, session, intent.reason);
      const at = new Date(this.now()).toISOString();
      const signed = this.session.signAll(batchStatements(items, { action, reason, at, approver: this.session.name }));
      const sent = await sendEach(
        signed,
        (s) => this.link.call({ type: 'decide', signed: s, via: 'tui' }),
        (err) => explain(err).message,
      );
      for (const r of sent)
        results[r.id] = r.error ?? `${PAST[action]} as ${this.session.name} (signed): now ${r.state}`;
      const ok = sent.filter((r) => r.error === undefined).length;
      const message = `${PAST[action]} ${ok} of ${intent.ids.length} requests of session ${session} as ${this.session.name}, each signed over its own fingerprint${ok < intent.ids.length ? '; see each request for the others' : ''}`;
      return { message, results };
    } catch (err) {
      throw explain(err);
    }
  }

  grants(): Promise<GrantInfo[]> {
    if (this.grantsRead === undefined) {
      this.grantsRead = this.readGrants().finally(() => (this.grantsRead = undefined));
      return this.grantsRead;
    }
    this.grantsNext ??= this.grantsRead
      .catch(() => undefined)
      .then(() => {
        this.grantsNext = undefined;
        return this.grants();
      });
    return this.grantsNext;
  }

  private async readGrants(): Promise<GrantInfo[]> {
    const data = await this.link.call({ type: 'grants' });
    const grants = parseGrants(data);
    if (grants === undefined) throw new Error('the daemon sent malformed grants');
    return grants;
  }

  async extend(intent: ExtendIntent): Promise<string> {
    try {
      // signed over the fingerprint the daemon reports, as `guard extend` does
      const detail = await this.link.call({ type: 'show', requestId: intent.requestId });
      const signed = this.session.signExtension(
        extendStatement({
          v: 1,
          kind: 'grant_extend',
          requestId: intent.requestId,
          fingerprint: detail.fingerprint,
          approver: this.session.name,
          at: new Date(this.now()).toISOString(),
          from: intent.from,
          to: intent.to,
        }),
      );
      const res = await this.link.call({ type: 'grant_extend', signed });
      return `extended the grant of ${intent.requestId} as ${this.session.name} (signed): now ${grantText(res.grant)}`;
    } catch (err) {
      throw explain(err);
    }
  }

  async revoke(intent: RevokeIntent): Promise<string> {
    try {
      await this.link.call({ type: 'revoke', requestId: intent.requestId, via: 'tui' });
      return `revoked the grant of ${intent.requestId}: it runs no command any more`;
    } catch (err) {
      throw explain(err);
    }
  }

  /** Recent decision records, newest first, each with its request's command; later refreshes read only what is new. */
  async history(): Promise<HistoryItem[]> {
    for (let page = 0; page < MAX_PAGES; page++) {
      const data = await this.link.call({ type: 'history', sinceSeq: this.lastSeq, limit: this.pageSize });
      const parsed = parseHistory(data);
      if (parsed === undefined) throw new Error('the daemon sent a malformed history');
      for (const rec of data.records) {
        const rc = requestCommand(rec);
        if (rc !== undefined) this.commands.set(rc.requestId, rc.command);
      }
      this.items = [...parsed.items, ...this.items].slice(0, HISTORY_ITEMS);
      this.keepCommandsOfItems();
      if (parsed.lastSeq > this.lastSeq) this.lastSeq = parsed.lastSeq;
      if (parsed.count < this.pageSize) break;
    }
    // a request recorded on an earlier page (or before a refresh) than its decisions: ask for it
    for (const id of new Set(this.items.map((i) => i.requestId))) {
      if (id === undefined || this.commands.has(id)) continue;
      const data = await this.link.call({ type: 'history', requestId: id, limit: 1 });
      const first = data.records[0];
      const rc = requestCommand(first);
      if (rc !== undefined && rc.requestId === id) this.commands.set(id, rc.command);
    }
    this.items = this.items.map((i) => ({
      ...i,
      command: i.requestId === undefined ? undefined : this.commands.get(i.requestId),
    }));
    return this.items;
  }

  private keepCommandsOfItems(): void {
    const ids = new Set(this.items.map((i) => i.requestId));
    for (const id of this.commands.keys()) if (!ids.has(id)) this.commands.delete(id);
  }

  async record(requestId: string): Promise<HistoryItem[]> {
    const items: HistoryItem[] = [];
    let sinceSeq = 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const data = await this.link.call({ type: 'history', requestId, sinceSeq, limit: this.pageSize });
      const parsed = parseHistory(data);
      const chain = parseChain(data, requestId);
      if (parsed === undefined || chain === undefined) throw new Error('the daemon sent a malformed record chain');
      items.push(...chain);
      if (parsed.count < this.pageSize || parsed.lastSeq <= sinceSeq) break;
      sinceSeq = parsed.lastSeq;
    }
    return items;
  }
}
