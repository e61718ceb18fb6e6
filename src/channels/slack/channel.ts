/**
 * Slack channel: Socket Mode (outbound WebSocket, no public URL) with the official clients.
 * One Block Kit message per request, updated in place; Approve / Deny (modal) / Ask (modal).
 * Reconnection is driven here (SDK auto-reconnect off): see docs/decisions/0501-slack-reconnect.md.
 */
import { SocketModeClient } from '@slack/socket-mode';
import { WebClient } from '@slack/web-api';
import { backoffMs, Delivery, sleep, type RetryPolicy } from '../delivery.js';
import type { Channel, ChannelHost, RequestView } from '../types.js';
import { visibleText } from '../../util/visible.js';
import {
  ACTION_APPROVE,
  ACTION_APPROVE_SCOPE,
  ACTION_ASK,
  ACTION_DENY,
  ACTION_EXTEND,
  ACTION_REVOKE,
  isOpen,
  renderMessage,
} from './blocks.js';
import { grantOfToken } from '../scope-choice.js';
import { code, escapeText } from './escape.js';
import { sdkLogger } from './logger.js';
import { batchDenyModal, modalView, readBatchSubmission, readSubmission } from './modals.js';
import { messageOf } from '../../errors.js';
import { batchExclusion, batchReason, type BatchAction } from '../../approval/batch.js';
import { middleEllipsis } from '../summary.js';
import {
  ACTION_BATCH_APPROVE,
  ACTION_BATCH_DENY,
  decodeValue,
  digestOf,
  renderSession,
  renderSessionClosed,
  type BatchSet,
} from './session.js';

/** A request an Extend or Revoke button names: a daemon's id, or the hub's `<id>@<host>` (decision 1103). */
const GRANT_TARGET = /^rq-[0-9a-f]{12}(@[a-z0-9][a-z0-9-]{0,62})?$/;

export interface SlackOptions {
  appToken: string;
  botToken: string;
  channelId: string;
  /** Web API base URL (tests point it at a local fake Slack). */
  apiUrl?: string | undefined;
  /** Slack user id → approver name, shown as the identity's display name. */
  userMap?: Record<string, string> | undefined;
  retry: RetryPolicy;
  /** Backoff between reconnection attempts (attempts is ignored: reconnection never gives up). */
  reconnect?: RetryPolicy;
  /** Socket Mode client ping timeout, ms (SDK default 5000). */
  clientPingTimeoutMs?: number;
  now?: () => number;
}

interface Posted {
  channel: string;
  ts: string | undefined;
  view: RequestView;
  /** The view the message in Slack shows (set once a post or edit succeeded). */
  shows?: RequestView | undefined;
  questionPosted?: string | undefined;
  replyPosted?: string | undefined;
}

interface Interaction {
  ack: (response?: Record<string, unknown>) => Promise<void>;
  envelope_id: string;
  body: Record<string, unknown>;
}

interface SlackUser {
  id: string;
  username?: string;
  name?: string;
  team_id?: string;
}

const SEEN_LIMIT = 5000;
/** Sets kept under their digest (a session message's value too long for a button, decision 1114). */
const DIGEST_LIMIT = 1000;
/** Slack's limit on a modal's private_metadata. */
const METADATA_CHARS = 3000;

/** An agent session's message: where it is, and the set it lists ('' once it lists none). */
interface SessionPost {
  channel: string;
  ts: string | undefined;
  shows: string;
}

export class SlackChannel implements Channel {
  readonly name = 'slack';
  private readonly web: WebClient;
  private readonly socket: SocketModeClient;
  private readonly delivery: Delivery;
  private readonly posted = new Map<string, Posted>();
  private readonly seen = new Set<string>();
  private readonly sessions = new Map<string, SessionPost>();
  private readonly digests = new Map<string, BatchSet>();
  private readonly now: () => number;
  private host: ChannelHost | undefined;
  private connected = false;
  private connecting = false;
  private stopped = false;
  private connects = 0;

  constructor(private readonly opts: SlackOptions) {
    this.now = opts.now ?? Date.now;
    this.delivery = new Delivery('slack', opts.retry);
    const logger = sdkLogger((level, message) => this.delivery.log(level, message));
    const api = opts.apiUrl === undefined ? {} : { slackApiUrl: opts.apiUrl };
    this.web = new WebClient(opts.botToken, { ...api, logger, retryConfig: { retries: 0 }, timeout: 15_000 });
    this.socket = new SocketModeClient({
      appToken: opts.appToken,
      logger,
      autoReconnectEnabled: false,
      clientPingTimeout: opts.clientPingTimeoutMs ?? 5000,
      clientOptions: { ...api, retryConfig: { retries: 0 }, timeout: 15_000 },
    });
  }

  async start(host: ChannelHost): Promise<void> {
    this.host = host;
    this.delivery.attach(host);
    this.socket.on('interactive', (event: Interaction) => {
      this.onInteractive(event).catch((err: unknown) =>
        this.delivery.log('error', `interaction failed: ${messageOf(err)}`),
      );
    });
    this.socket.on('disconnected', () => {
      if (this.stopped || this.connecting || !this.connected) return;
      this.connected = false;
      this.delivery.log('warn', 'Socket Mode connection lost; reconnecting');
      void this.connectLoop();
    });
    // Wait for the first attempt only: a Slack outage must not hold up the daemon's start.
    let firstAttempt: () => void = () => undefined;
    const attempted = new Promise<void>((resolve) => (firstAttempt = resolve));
    await Promise.race([this.connectLoop(firstAttempt), attempted]);
  }

  /** Resolves once connected (or stopped). Never gives up: a Slack outage is reported in status(). */
  private async connectLoop(afterFirstAttempt: () => void = () => undefined): Promise<void> {
    if (this.connecting) return;
    this.connecting = true;
    const policy = this.opts.reconnect ?? { attempts: 1, baseMs: 1000, maxMs: 60_000 };
    try {
      for (let attempt = 1; !this.stopped; attempt++) {
        try {
          await this.socket.start();
          this.connected = true;
          this.connects++;
          return;
        } catch (err) {
          this.delivery.log(
            'error',
            `Socket Mode connection attempt ${attempt} failed: ${messageOf(err ?? 'disconnected')}`,
          );
          afterFirstAttempt();
          await sleep(backoffMs(policy, attempt), this.delivery.signal);
        }
      }
    } finally {
      this.connecting = false;
    }
  }

  notify(view: RequestView): Promise<void> {
    const rendered = renderMessage(view, this.now());
    const entry: Posted = this.posted.get(view.id) ?? { channel: this.opts.channelId, ts: undefined, view };
    entry.view = view;
    this.posted.set(view.id, entry);
    const done = this.delivery.enqueue(`post ${view.id}`, async () => {
      if (entry.ts !== undefined) return;
      const res = await this.web.chat.postMessage({
        channel: entry.channel,
        text: rendered.text,
        blocks: rendered.blocks,
        unfurl_links: false,
        unfurl_media: false,
      });
      entry.ts = res.ts;
      entry.shows = view;
      if (res.channel !== undefined) entry.channel = res.channel;
    });
    rendered.threadParts.forEach((part, i) => {
      void this.delivery.enqueue(`post ${view.id} part ${i + 1}`, () => this.thread(entry, part));
    });
    this.refreshSession(view);
    return done;
  }

  update(view: RequestView): Promise<void> {
    const entry = this.posted.get(view.id);
    if (entry === undefined) return this.notify(view);
    entry.view = view;
    const done = this.delivery.enqueue(`update ${view.id}`, async () => {
      const showing = entry.view;
      const rendered = renderMessage(showing, this.now());
      if (entry.ts === undefined) {
        const res = await this.web.chat.postMessage({
          channel: entry.channel,
          text: rendered.text,
          blocks: rendered.blocks,
          unfurl_links: false,
        });
        entry.ts = res.ts;
        entry.shows = showing;
        return;
      }
      await this.web.chat.update({
        channel: entry.channel,
        ts: entry.ts,
        text: rendered.text,
        blocks: rendered.blocks,
      });
      entry.shows = showing;
    });
    if (view.question !== undefined && entry.questionPosted !== view.question) {
      entry.questionPosted = view.question;
      void this.delivery.enqueue(`question ${view.id}`, () =>
        this.thread(entry, `❓ *Question to the requester:* ${code(visibleText(view.question ?? ''))}`),
      );
    }
    if (view.reply !== undefined && entry.replyPosted !== view.reply) {
      entry.replyPosted = view.reply;
      void this.delivery.enqueue(`reply ${view.id}`, () =>
        this.thread(entry, `💬 *Reply from the requester* (\`guard reply\`): ${code(visibleText(view.reply ?? ''))}`),
      );
    }
    this.refreshSession(view);
    return done;
  }

  /**
   * Queues an update of the request's agent session message (decision 1114), from the daemon's
   * open requests as they are when it runs: posted once two or more are open, edited as the set
   * changes, its buttons removed once fewer than two are. Only where the host lists open requests
   * (the daemon; not the hub).
   */
  private refreshSession(view: RequestView): void {
    const session = view.session;
    const host = this.host;
    if (session === undefined || session === '' || host?.pending === undefined) return;
    void this.delivery.enqueue(`session message of ${session}`, async () => {
      const open = (host.pending?.({ session }) ?? []).filter((p) => p.detail.view.session === session);
      const post = this.sessions.get(session);
      if (open.length < 2) {
        if (post?.ts === undefined || post.shows === '') return;
        const closed = renderSessionClosed(session, open.length);
        await this.web.chat.update({ channel: post.channel, ts: post.ts, text: closed.text, blocks: closed.blocks });
        post.shows = '';
        return;
      }
      const message = renderSession(session, open);
      if (post !== undefined && post.shows === message.value) return;
      if (message.digest !== undefined) this.remember(message.digest, message.set);
      const common = { text: message.text, blocks: message.blocks };
      if (post?.ts === undefined) {
        const res = await this.web.chat.postMessage({
          channel: this.opts.channelId,
          ...common,
          unfurl_links: false,
          unfurl_media: false,
        });
        this.sessions.set(session, { channel: res.channel ?? this.opts.channelId, ts: res.ts, shows: message.value });
        return;
      }
      await this.web.chat.update({ channel: post.channel, ts: post.ts, ...common });
      post.shows = message.value;
    });
  }

  /** Keeps a set under its digest (bounded; the oldest forgotten first: its buttons are then refused). */
  private remember(digest: string, set: BatchSet): void {
    this.digests.delete(digest);
    this.digests.set(digest, set);
    if (this.digests.size > DIGEST_LIMIT) this.digests.delete(this.digests.keys().next().value as string);
  }

  /** Where this request's message is in Slack and the view it shows, once posted (the hub keeps it for a takeover). */
  messageRef(requestId: string): { channel: string; ts: string; shows: RequestView | undefined } | undefined {
    const entry = this.posted.get(requestId);
    return entry?.ts === undefined ? undefined : { channel: entry.channel, ts: entry.ts, shows: entry.shows };
  }

  /** Takes over a message another process posted: the next update edits it instead of posting anew. */
  adopt(view: RequestView, ref: { channel: string; ts: string }): void {
    if (this.posted.has(view.id)) return;
    // the message itself shows the question and reply: not posted again in its thread
    this.posted.set(view.id, { ...ref, view, shows: view, questionPosted: view.question, replyPosted: view.reply });
  }

  private async thread(entry: Posted, text: string): Promise<void> {
    if (entry.ts === undefined) throw new Error('parent message not posted yet');
    await this.web.chat.postMessage({
      channel: entry.channel,
      thread_ts: entry.ts,
      text,
      mrkdwn: true,
      unfurl_links: false,
      unfurl_media: false,
    });
  }

  flush(): Promise<void> {
    return this.delivery.flush();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.delivery.stop();
    await this.socket.disconnect();
  }

  status(): { ok: boolean; detail: string } {
    const socket = this.connected
      ? `socket connected (${this.connects} connects)`
      : this.stopped
        ? 'stopped'
        : 'socket disconnected, reconnecting';
    return this.delivery.status({ ok: this.connected, detail: socket });
  }

  /** True the first time a key is seen (bounded memory; oldest forgotten first). */
  private firstTime(key: string): boolean {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    if (this.seen.size > SEEN_LIMIT) this.seen.delete(this.seen.values().next().value as string);
    return true;
  }

  private async onInteractive({ ack, envelope_id, body }: Interaction): Promise<void> {
    // Acknowledge first (Slack expects it within 3 s); a failed ack is logged, the payload still handled.
    await ack().catch((err: unknown) => this.delivery.log('warn', `ack of ${envelope_id} failed: ${messageOf(err)}`));
    if (!this.firstTime(`envelope:${envelope_id}`)) return;
    if (body['type'] === 'block_actions') return this.onAction(body);
    if (body['type'] === 'view_submission') return this.onSubmission(body);
  }

  private identity(user: SlackUser): { channel: string; id: string; display?: string; verifiedBy: string } {
    const display = this.opts.userMap?.[user.id] ?? user.username ?? user.name;
    return {
      channel: 'slack',
      id: user.id,
      ...(display === undefined ? {} : { display }),
      verifiedBy: `slack:${user.team_id ?? 'unknown-team'}`,
    };
  }

  /** A refusal the channel can give without asking the daemon: the request is known to be closed. */
  private closedText(requestId: string): string | undefined {
    const entry = this.posted.get(requestId);
    if (entry === undefined || isOpen(entry.view)) return undefined;
    return `Request ${requestId} is ${entry.view.state}; nothing to decide any more.`;
  }

  private async onAction(body: Record<string, unknown>): Promise<void> {
    const user = body['user'] as SlackUser | undefined;
    const action = (body['actions'] as { action_id?: string; value?: string }[] | undefined)?.[0];
    if (user?.id === undefined || action?.value === undefined) return;
    const scoped = action.action_id?.startsWith(`${ACTION_APPROVE_SCOPE}_`) === true;
    // a wider-grant button's value is `<request id> <token>` (blocks.ts)
    const [requestId = '', token] = scoped ? action.value.split(' ', 2) : [action.value];
    const channel = (body['channel'] as { id?: string } | undefined)?.id ?? this.opts.channelId;
    if (action.action_id === ACTION_EXTEND) return this.onExtend(channel, user, action.value);
    if (action.action_id === ACTION_BATCH_APPROVE) return this.onBatch(channel, user, action.value, 'approve');
    if (action.action_id === ACTION_BATCH_DENY) return this.askBatchReason(channel, action.value, body['trigger_id']);
    if (action.action_id === ACTION_REVOKE) return this.onRevoke(channel, user, action.value);
    const closed = this.closedText(requestId);
    if (closed !== undefined) return this.ephemeral(channel, user.id, closed);
    if (action.action_id === ACTION_APPROVE || scoped) {
      const chosen = scoped ? this.chosenGrant(requestId, token) : { ok: true as const, grant: undefined };
      if (!chosen.ok) {
        this.delivery.log('warn', `scope choice by ${user.id} on ${requestId} refused: ${chosen.reason}`);
        return this.ephemeral(channel, user.id, chosen.reason);
      }
      if (!this.firstTime(`approve:${requestId}:${user.id}`))
        return this.ephemeral(channel, user.id, `You already approved request ${requestId}.`);
      const refusal = await this.decide({
        requestId,
        action: 'approve',
        identity: this.identity(user),
        ...(chosen.grant === undefined ? {} : { grant: chosen.grant }),
      });
      if (refusal !== null) {
        this.seen.delete(`approve:${requestId}:${user.id}`);
        await this.ephemeral(channel, user.id, refusal);
      }
      return;
    }
    if (action.action_id === ACTION_DENY || action.action_id === ACTION_ASK) {
      const triggerId = body['trigger_id'];
      if (typeof triggerId !== 'string') return;
      const meta = { requestId, channel, ts: this.posted.get(requestId)?.ts };
      await this.web.views.open({
        trigger_id: triggerId,
        view: modalView(action.action_id === ACTION_DENY ? 'deny' : 'ask', meta) as never,
      });
    }
  }

  /**
   * An "Extend" click (decision 1091): the value names the grant as shown and the extension; the
   * daemon checks both (compare-and-set, bounds, eligibility) and records a refusal.
   */
  private async onExtend(channel: string, user: SlackUser, value: string): Promise<void> {
    const [requestId = '', fromUses, fromExpires, toUses, toExpires] = value.split(' ');
    if (this.host?.extend === undefined)
      return this.ephemeral(channel, user.id, 'grant extension is not available on this channel');
    if (!GRANT_TARGET.test(requestId)) return this.ephemeral(channel, user.id, 'no such request');
    const num = (s: string | undefined): number => (s !== undefined && /^[0-9]{1,7}$/.test(s) ? Number(s) : -1);
    const refusal = await this.host.extend({
      requestId,
      identity: this.identity(user),
      from: { usesLeft: num(fromUses), expiresAt: fromExpires ?? '' },
      to: { usesLeft: num(toUses), expiresAt: toExpires ?? '' },
    });
    await this.ephemeral(channel, user.id, refusal ?? `Grant of request ${requestId} extended.`);
  }

  /** A "Revoke" click (decision 1094): the daemon checks the clicker is a mapped approver and records it. */
  private async onRevoke(channel: string, user: SlackUser, requestId: string): Promise<void> {
    if (this.host?.revoke === undefined)
      return this.ephemeral(channel, user.id, 'revocation is not available on this channel');
    if (!GRANT_TARGET.test(requestId)) return this.ephemeral(channel, user.id, 'no such request');
    const refusal = await this.host.revoke({ requestId, identity: this.identity(user) });
    await this.ephemeral(channel, user.id, refusal ?? `Request ${requestId} revoked.`);
  }

  /** The grant a wider-grant button asks for, rebuilt against the request as this channel shows it. */
  private chosenGrant(requestId: string, token: string | undefined): ReturnType<typeof grantOfToken> {
    const view = this.posted.get(requestId)?.view;
    if (view === undefined) return { ok: false, reason: `request ${requestId} is not one this channel posted` };
    return grantOfToken(view, token ?? '');
  }

  /** The set a session message's button names: written out in the value, or kept under its digest. */
  private setOf(value: string): BatchSet | undefined {
    const read = decodeValue(value);
    if (read === undefined) return undefined;
    return 'set' in read ? read.set : this.digests.get(read.digest);
  }

  /** "Deny all": the reason modal, carrying the set as the button named it (by digest when too long). */
  private async askBatchReason(channel: string, value: string, triggerId: unknown): Promise<void> {
    const set = this.setOf(value);
    if (typeof triggerId !== 'string' || set === undefined) return;
    let meta = { value, channel };
    if (JSON.stringify(meta).length > METADATA_CHARS - 200) {
      const digest = digestOf(set);
      this.remember(digest, set);
      meta = { value: `digest:${digest}`, channel };
    }
    await this.web.views.open({
      trigger_id: triggerId,
      view: batchDenyModal(meta, set.items.length, middleEllipsis(visibleText(set.session), 200)) as never,
    });
  }

  /**
   * "Approve all" / "Deny all" of a session message (decision 1114), as the web page's batch form:
   * every listed request still waiting must show the view listed, else nothing is decided; one no
   * longer waiting is skipped and named; a step-up request is left out of approve-all. Each other
   * request becomes its own channel vote, checked by the daemon exactly as a single click.
   */
  private async onBatch(
    channel: string,
    user: SlackUser,
    value: string,
    action: BatchAction,
    given?: string,
  ): Promise<void> {
    const set = this.setOf(value);
    if (set === undefined || this.host?.pending === undefined) {
      this.delivery.log('warn', `batch ${action} by ${user.id} refused: unknown or malformed session message value`);
      return this.ephemeral(
        channel,
        user.id,
        'This session message is not one this daemon knows (out of date, or the daemon restarted); nothing was decided. Use the latest session message.',
      );
    }
    const open = this.host.pending({ session: set.session }).filter((p) => p.detail.view.session === set.session);
    const results: string[] = [];
    const decide: string[] = [];
    for (const item of set.items) {
      const p = open.find((x) => x.detail.view.id === item.id);
      if (p === undefined) {
        results.push(`${item.id}: not decided: no longer waiting for a decision`);
        continue;
      }
      if (p.viewHash !== item.viewHash) {
        this.delivery.log('warn', `batch ${action} by ${user.id} refused: ${item.id} changed since it was shown`);
        return this.ephemeral(
          channel,
          user.id,
          `Request ${item.id} changed since the session message showed it; nothing was decided. Look at the updated message and decide again.`,
        );
      }
      const why = batchExclusion(p.detail, action, set.session);
      if (why === undefined) decide.push(item.id);
      else results.push(`${item.id}: not decided: ${why}`);
    }
    const reason = batchReason(action, decide.length, set.session, given);
    let done = 0;
    for (const requestId of decide) {
      const refusal = await this.decide({ requestId, action, identity: this.identity(user), reason });
      if (refusal === null) done++;
      results.push(
        `${requestId}: ${refusal === null ? `your ${action === 'approve' ? 'approval' : 'denial'} recorded` : `refused: ${refusal}`}`,
      );
    }
    const session = middleEllipsis(visibleText(set.session), 200);
    await this.ephemeral(
      channel,
      user.id,
      `${done} of ${set.items.length} ${action === 'approve' ? 'approvals' : 'denials'} of agent session ${session} recorded, each as its own vote:\n${results.map((r) => `• ${r}`).join('\n')}`,
    );
  }

  private async onSubmission(body: Record<string, unknown>): Promise<void> {
    const user = body['user'] as SlackUser | undefined;
    const view = body['view'] as { id?: string } | undefined;
    const batch = readBatchSubmission(view);
    if (batch !== undefined && user?.id !== undefined) {
      if (view?.id !== undefined && !this.firstTime(`view:${view.id}`)) return;
      return this.onBatch(batch.meta.channel, user, batch.meta.value, 'deny', batch.text);
    }
    const submission = readSubmission(view);
    if (user?.id === undefined || submission === undefined) return;
    if (view?.id !== undefined && !this.firstTime(`view:${view.id}`)) return;
    const { kind, meta, text } = submission;
    const closed = this.closedText(meta.requestId);
    if (closed !== undefined) return this.ephemeral(meta.channel, user.id, closed);
    if (kind === 'ask' && text === '') return this.ephemeral(meta.channel, user.id, 'A question cannot be empty.');
    const refusal = await this.decide({
      requestId: meta.requestId,
      action: kind,
      identity: this.identity(user),
      ...(kind === 'deny' ? { reason: text === '' ? undefined : text } : { question: text }),
    });
    if (refusal !== null) await this.ephemeral(meta.channel, user.id, refusal);
  }

  private decide(decision: Parameters<ChannelHost['decide']>[0]): Promise<string | null> {
    if (this.host === undefined) return Promise.resolve('channel not started');
    return this.host.decide(decision);
  }

  private async ephemeral(channel: string, user: string, text: string): Promise<void> {
    await this.delivery.enqueue(`ephemeral to ${user}`, async () => {
      await this.web.chat.postEphemeral({ channel, user, text: `guard: ${escapeText(text)}` });
    });
  }
}
