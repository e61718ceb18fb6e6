/**
 * One replica at a time owns the Slack Socket Mode connection: the one holding a PostgreSQL
 * session advisory lock. The others wait blocked on the same lock, so when the owner dies (its
 * session ends) PostgreSQL hands the lock to one of them at once and it connects to Slack.
 * The owner posts every open request of every host, keyed `<request id>@<host name>`, and turns a
 * click into a signed vote for that host's request. Where each message is, and the request
 * revision it shows, is kept in PostgreSQL: a new owner edits the messages the old one posted.
 * The same class owns the Teams delivery under its own lock, keeping each card's Location instead
 * (`lock`, `label`, `keeper`; src/hub/deliveries.ts, decision 1070).
 */
import pg from 'pg';
import { choiceToken } from '../channels/scope-choice.js';
import type { Channel, ChannelDecision, ChannelHost, ChannelIdentity, RequestView } from '../channels/types.js';
import { LOCK_SLACK } from './migrations.js';
import { knownMessages, recordMessage, type KnownMessage } from './slack-messages.js';
import type { HubStore } from './store.js';
import { addGrantAction, checkedGrantMarks } from './grants.js';

export const HUB_ID = /^(rq-[0-9a-f]{12})@([a-z0-9][a-z0-9-]{0,62})$/;

/**
 * A host's request as the hub's surfaces show it. Its `grantBounds` stay: the hub offers the scopes
 * the rule allows, and the chosen one travels in the vote (decision 1090). A live grant's marks stay
 * when well formed (`revocable`, `extendOffer`): the hub's surfaces offer Revoke and Extend, sent as
 * hub-signed grant actions (decision 1103).
 */
export function hubView(view: RequestView, hostName: string): RequestView {
  const rest = checkedGrantMarks(view);
  return { ...rest, id: `${view.id}@${hostName}`, requester: { ...view.requester, host: hostName } };
}

/** The vote's `scope`: the chosen grant as its surface token, rebuilt and re-checked by the host's daemon. */
export const voteScope = (d: ChannelDecision): { scope?: string } =>
  d.grant === undefined ? {} : { scope: choiceToken(d.grant) };

/** A channel that can say where it posted a request and take over a message posted elsewhere (Slack, Teams, webhooks). */
interface Adopting extends Channel {
  messageRef(requestId: string): { shows: RequestView | undefined } | undefined;
  adopt(view: RequestView, ref: never): void;
}

/** Where the owner keeps what it posted (Slack: slack-messages.ts; Teams, webhooks: deliveries.ts). */
export interface MessageKeeper {
  known(pool: pg.Pool): Promise<(Omit<KnownMessage, 'ref'> & { ref: unknown })[]>;
  record(pool: pg.Pool, hostId: string, requestId: string, ref: never, rev: string): Promise<void>;
  /** A vote was recorded from this request's message: what it asked is answered. */
  answered?(pool: pg.Pool, hostName: string, requestId: string): Promise<void>;
}

const SLACK_KEEPER: MessageKeeper = { known: knownMessages, record: recordMessage };

const adopting = (c: Channel): c is Adopting => 'messageRef' in c && 'adopt' in c;

export interface OwnerOptions {
  url: string;
  store: HubStore;
  votePem: string;
  makeChannel: () => Promise<Channel>;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** The advisory lock that makes one replica the owner (default: Slack's); a bigint as text allowed. */
  lock?: number | string;
  /** The channel's name in logs (default: Slack). */
  label?: string;
  keeper?: MessageKeeper;
}

export class SlackOwner {
  private stopped = false;
  private client: pg.Client | undefined;
  private channel: Channel | undefined;
  private cursor = '0';
  private syncing: Promise<void> | undefined;
  private again = false;
  private retry: NodeJS.Timeout | undefined;
  /** Per `<request id>@<host>`: the request revision its message shows (skip what is shown already). */
  private shown = new Map<string, bigint>();
  owner = false;

  private readonly label: string;
  private readonly keeper: MessageKeeper;

  constructor(private readonly opts: OwnerOptions) {
    this.label = opts.label ?? 'Slack';
    this.keeper = opts.keeper ?? SLACK_KEEPER;
  }

  start(): void {
    void this.contend();
  }

  /** Waits (blocked in PostgreSQL) for the lock; on losing the session, gives Slack up and waits again. */
  private async contend(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.opts.url });
    this.client = client;
    let lost = false;
    const lose = (why: string): void => {
      if (lost) return;
      lost = true;
      client.end().catch(() => undefined);
      void this.release(why).then(() => {
        if (!this.stopped) this.retry = setTimeout(() => void this.contend(), 500);
      });
    };
    client.on('error', (e) => lose(e.message));
    client.on('end', () => lose('session ended'));
    client.on('notification', () => this.sync());
    try {
      await client.connect();
      await client.query('SELECT pg_advisory_lock($1)', [this.opts.lock ?? LOCK_SLACK]);
      if (this.stopped || lost) return;
      await client.query('LISTEN guard_requests');
      this.owner = true;
      this.cursor = '0';
      const channel = await this.opts.makeChannel();
      const stale = await this.adoptMessages(channel);
      this.channel = channel;
      const host: ChannelHost = {
        decide: (d) => this.decide(d),
        extend: (e) => this.grantAction('extend', e.requestId, e.identity, { from: e.from, to: e.to }),
        revoke: (e) => this.grantAction('revoke', e.requestId, e.identity),
        log: (e) => this.opts.log(e.level, `channel ${e.channel}: ${e.message}`),
      };
      await channel.start(host);
      this.opts.log('info', `this replica owns the ${this.label} connection`);
      // what changed while no replica owned Slack, closed requests included, then every open one
      for (const m of stale) this.post(channel, m.hostId, m.hostName, m.rev, m.view);
      this.sync();
    } catch (err) {
      lose((err as Error).message);
    }
  }

  /** Takes over the messages already posted; returns those that no longer show their request's state. */
  private async adoptMessages(
    channel: Channel,
  ): Promise<{ hostId: string; hostName: string; rev: string; view: RequestView }[]> {
    this.shown = new Map();
    if (!adopting(channel)) return [];
    const known = await this.keeper.known(this.opts.store.pool);
    for (const m of known) {
      const view = hubView(m.view, m.hostName);
      channel.adopt(view, m.ref as never);
      this.shown.set(view.id, BigInt(m.shown));
    }
    return known.filter((m) => BigInt(m.rev) > BigInt(m.shown));
  }

  /** Posts or edits a request's message; once delivered, records where it is and what it shows. */
  private post(channel: Channel, hostId: string, hostName: string, rev: string, view: RequestView): void {
    const v = hubView(view, hostName);
    if ((this.shown.get(v.id) ?? -1n) >= BigInt(rev)) return;
    this.shown.set(v.id, BigInt(rev));
    const delivered = async (): Promise<void> => {
      const ref = adopting(channel) ? channel.messageRef(v.id) : undefined;
      // only once Slack shows this very view (not when delivery gave up, nor when a newer one went out)
      if (ref?.shows === v) await this.keeper.record(this.opts.store.pool, hostId, String(view.id), ref as never, rev);
    };
    try {
      channel
        .update(v)
        .then(delivered)
        .catch((err: unknown) => this.failedRow(view, err));
    } catch (err) {
      this.failedRow(view, err);
    }
  }

  private async release(why: string): Promise<void> {
    const channel = this.channel;
    this.channel = undefined;
    if (this.owner) this.opts.log('warn', `gave up the ${this.label} connection: ${why}`);
    this.owner = false;
    await channel?.stop().catch(() => undefined);
  }

  /** Re-reads every request changed since the last read and posts or updates it. */
  private sync(): void {
    if (this.syncing !== undefined) {
      this.again = true;
      return;
    }
    this.syncing = (async () => {
      do {
        this.again = false;
        const channel = this.channel;
        if (channel === undefined) return;
        try {
          for (;;) {
            const rows = await this.opts.store.changedSince(this.cursor, this.cursor === '0');
            for (const r of rows) {
              if (this.channel !== channel) return;
              // past this row whatever happens: one view Slack cannot render must not stop the queue
              this.cursor = r.rev;
              this.post(channel, r.hostId, r.hostName, r.rev, r.view);
            }
            if (rows.length < 500) break;
          }
        } catch (err) {
          this.opts.log('error', `reading requests failed: ${(err as Error).message}`);
        }
      } while (this.again);
    })().finally(() => (this.syncing = undefined));
  }

  private failedRow(view: RequestView, err: unknown): void {
    this.opts.log('error', `posting request ${String(view.id)} failed: ${(err as Error).message}`);
  }

  private async decide(d: ChannelDecision): Promise<string | null> {
    const m = HUB_ID.exec(d.requestId);
    if (m === null) return `unknown request ${d.requestId}`;
    try {
      const refusal = await this.opts.store.addVote(
        m[2]!,
        m[1]!,
        {
          action: d.action,
          identity: { ...d.identity, verifiedBy: `hub+${d.identity.verifiedBy ?? d.identity.channel}` },
          reason: d.reason,
          question: d.question,
          ...voteScope(d),
        },
        this.opts.votePem,
      );
      this.opts.log(
        refusal === undefined ? 'info' : 'warn',
        `${d.action} by ${d.identity.id} for ${d.requestId}: ${refusal ?? 'recorded as a vote'}`,
      );
      // a Teams flow run that answered is not polled again by a later owner (decision 1070)
      if (refusal === undefined) await this.keeper.answered?.(this.opts.store.pool, m[2]!, m[1]!);
      return refusal ?? null;
    } catch (err) {
      this.opts.log('error', `recording a vote failed: ${(err as Error).message}`);
      return 'the hub cannot record this decision right now; try again in a moment';
    }
  }

  /** An Extend or Revoke click (decision 1103): a hub-signed grant action for the request's host, which checks it. */
  private async grantAction(
    action: 'extend' | 'revoke',
    id: string,
    identity: ChannelIdentity,
    change: { from?: unknown; to?: unknown } = {},
  ): Promise<string | null> {
    const m = HUB_ID.exec(id);
    if (m === null) return `unknown request ${id}`;
    try {
      const refusal = await addGrantAction(
        this.opts.store,
        {
          hostName: m[2]!,
          requestId: m[1]!,
          action,
          identity: { ...identity, verifiedBy: `hub+${identity.verifiedBy ?? identity.channel}` },
          ...change,
        },
        this.opts.votePem,
      );
      this.opts.log(
        refusal === undefined ? 'info' : 'warn',
        `${action} by ${identity.id} for ${id}: ${refusal ?? 'sent to the host'}`,
      );
      return refusal ?? null;
    } catch (err) {
      this.opts.log('error', `recording a grant action failed: ${(err as Error).message}`);
      return 'the hub cannot record this right now; try again in a moment';
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const c = this.client;
    this.client = undefined;
    await this.release('stopping');
    await c?.end().catch(() => undefined);
  }
}
