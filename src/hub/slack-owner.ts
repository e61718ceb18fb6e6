/**
 * One replica at a time owns the Slack Socket Mode connection: the one holding a PostgreSQL
 * session advisory lock. The others wait blocked on the same lock, so when the owner dies (its
 * session ends) PostgreSQL hands the lock to one of them at once and it connects to Slack.
 * The owner posts every open request of every host, keyed `<request id>@<host name>`, and turns a
 * click into a signed vote for that host's request.
 */
import pg from 'pg';
import type { Channel, ChannelDecision, ChannelHost, RequestView } from '../channels/types.js';
import { LOCK_SLACK } from './migrations.js';
import type { HubStore } from './store.js';

const HUB_ID = /^(rq-[0-9a-f]{12})@([a-z0-9][a-z0-9-]{0,62})$/;

export function hubView(view: RequestView, hostName: string): RequestView {
  return { ...view, id: `${view.id}@${hostName}`, requester: { ...view.requester, host: hostName } };
}

export interface OwnerOptions {
  url: string;
  store: HubStore;
  votePem: string;
  makeChannel: () => Promise<Channel>;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export class SlackOwner {
  private stopped = false;
  private client: pg.Client | undefined;
  private channel: Channel | undefined;
  private cursor = '0';
  private syncing: Promise<void> | undefined;
  private again = false;
  private retry: NodeJS.Timeout | undefined;
  owner = false;

  constructor(private readonly opts: OwnerOptions) {}

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
      await client.query('SELECT pg_advisory_lock($1)', [LOCK_SLACK]);
      if (this.stopped || lost) return;
      await client.query('LISTEN guard_requests');
      this.owner = true;
      this.cursor = '0';
      const channel = await this.opts.makeChannel();
      this.channel = channel;
      const host: ChannelHost = {
        decide: (d) => this.decide(d),
        log: (e) => this.opts.log(e.level, `channel ${e.channel}: ${e.message}`),
      };
      await channel.start(host);
      this.opts.log('info', 'this replica owns the Slack connection');
      this.sync();
    } catch (err) {
      lose((err as Error).message);
    }
  }

  private async release(why: string): Promise<void> {
    const channel = this.channel;
    this.channel = undefined;
    if (this.owner) this.opts.log('warn', `gave up the Slack connection: ${why}`);
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
              try {
                channel.update(hubView(r.view, r.hostName)).catch((err: unknown) => this.failedRow(r.view, err));
              } catch (err) {
                this.failedRow(r.view, err);
              }
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
        },
        this.opts.votePem,
      );
      return refusal ?? null;
    } catch (err) {
      this.opts.log('error', `recording a vote failed: ${(err as Error).message}`);
      return 'the hub cannot record this decision right now; try again in a moment';
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
