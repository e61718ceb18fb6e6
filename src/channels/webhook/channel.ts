/**
 * Webhook / API channel: signed POSTs; decisions return inline (signed 200 body), by polling the
 * Location of a 202, or by signed callback to the daemon's HTTP listener.
 */
import { Delivery, type RetryPolicy } from '../delivery.js';
import { pollLocation, type DeliveryRef } from '../poll.js';
import { checkUrl, displayUrl, parseJsonObject, readResponse, REQUEST_TIMEOUT_MS } from '../http.js';
import type { HttpListener } from '../http-listener.js';
import { SIGNATURE_HEADER, signedHeaders, TIMESTAMP_HEADER, verifySignature } from '../signing.js';
import type { Channel, ChannelHost, ChannelIdentity, RequestView } from '../types.js';
import {
  buildEnvelope,
  isFinal,
  isGrantAction,
  parseDecision,
  type Envelope,
  type WireDecision,
  type WireGrantAction,
} from './payload.js';
import { messageOf } from '../../errors.js';

export type WebhookMode = 'inline' | 'callback' | 'poll' | 'notify';

export interface WebhookOptions {
  name: string;
  url: string;
  secret: string;
  mode: WebhookMode;
  retry: RetryPolicy;
  allowInsecureHttp?: boolean;
  /** Shared listener for callback mode. */
  listener?: HttpListener | undefined;
  /** Callback mode served elsewhere (the hub's own HTTP server, decision 1071): the URL sent; no listener. */
  callbackUrl?: string | undefined;
  /** Poll interval when the 202 gives no Retry-After, ms. */
  pollIntervalMs?: number;
  now?: () => number;
}

export class WebhookChannel implements Channel {
  readonly name: string;
  private readonly url: URL;
  private readonly delivery: Delivery;
  private readonly now: () => number;
  private readonly views = new Map<string, RequestView>();
  private readonly polls = new Set<string>();
  /** Per request: the last delivery, the view it shows and the Location being polled (the hub keeps it). */
  private readonly deliveries = new Map<string, DeliveryRef & { shows: RequestView }>();
  /** Deliveries adopted before start: their polling resumes once a host can take the answer. */
  private readonly adopted: string[] = [];
  private host: ChannelHost | undefined;

  constructor(private readonly opts: WebhookOptions) {
    this.name = `webhook:${opts.name}`;
    this.url = checkUrl(opts.url, opts.allowInsecureHttp ?? false);
    this.delivery = new Delivery(this.name, opts.retry);
    this.now = opts.now ?? Date.now;
  }

  async start(host: ChannelHost): Promise<void> {
    this.host = host;
    this.delivery.attach(host);
    for (const id of this.adopted.splice(0)) this.resume(id);
    if (this.opts.mode === 'callback' && this.opts.callbackUrl === undefined) {
      if (this.opts.listener === undefined)
        throw new Error(`${this.name}: mode "callback" needs channels.http_listener`);
      await this.opts.listener.register(this.opts.name, {
        secret: this.opts.secret,
        onDecision: (c) => (isGrantAction(c) ? this.onGrant(c) : this.decide(c.request_id, c)),
      });
    }
  }

  notify(view: RequestView): Promise<void> {
    return this.send('request.created', view);
  }

  update(view: RequestView): Promise<void> {
    // a request never delivered here (the hub's owner only updates): its first delivery
    return this.send(this.views.has(view.id) ? 'request.updated' : 'request.created', view);
  }

  /** The last delivery of a request and the view it shows (the hub records it, decision 1071). */
  messageRef(requestId: string): (DeliveryRef & { shows: RequestView }) | undefined {
    return this.deliveries.get(requestId);
  }

  /** Takes over a delivery made by another process: polls its Location instead of delivering again. */
  adopt(view: RequestView, ref: DeliveryRef): void {
    this.views.set(view.id, view);
    this.deliveries.set(view.id, { location: ref.location, shows: view });
    if (this.host === undefined) this.adopted.push(view.id);
    else this.resume(view.id);
  }

  private resume(requestId: string): void {
    const location = this.deliveries.get(requestId)?.location;
    if (location !== null && location !== undefined) this.startPoll(requestId, location);
  }

  flush(): Promise<void> {
    return this.delivery.flush();
  }

  async stop(): Promise<void> {
    this.delivery.stop();
    if (this.opts.mode === 'callback' && this.opts.callbackUrl === undefined)
      await this.opts.listener?.unregister(this.opts.name);
  }

  status(): { ok: boolean; detail: string } {
    return this.delivery.status({
      ok: true,
      detail: `${this.opts.mode} → ${displayUrl(this.url)}; ${this.polls.size} polling`,
    });
  }

  private send(event: Envelope['event'], view: RequestView): Promise<void> {
    this.views.set(view.id, view);
    const envelope = buildEnvelope(event, this.opts.name, view, {
      callbackUrl:
        this.opts.mode === 'callback'
          ? (this.opts.callbackUrl ?? this.opts.listener?.callbackUrl(this.opts.name))
          : undefined,
      decisions: this.opts.mode !== 'notify',
      nowMs: this.now(),
    });
    const body = JSON.stringify(envelope);
    return this.delivery.enqueue(`${event} ${view.id}`, async () => {
      const res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signedHeaders(this.opts.secret, body, this.now()) },
        body,
        redirect: 'error',
        signal: AbortSignal.any([AbortSignal.timeout(REQUEST_TIMEOUT_MS), this.delivery.signal]),
      });
      const text = await readResponse(res);
      if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status} from ${displayUrl(this.url)}`);
      const location = res.headers.get('location');
      const asks = this.opts.mode !== 'notify' && !isFinal(view);
      this.deliveries.set(view.id, {
        location:
          asks && res.status === 202 && location !== null && URL.canParse(location, this.url.href)
            ? new URL(location, this.url).toString()
            : (this.deliveries.get(view.id)?.location ?? null),
        shows: view,
      });
      if (this.opts.mode === 'notify' || isFinal(view)) return;
      return () => this.handleAnswer(view.id, res, text);
    });
  }

  /** A 2xx answer to a delivery: a signed decision, a 202 to poll, or nothing (callback later). */
  private async handleAnswer(requestId: string, res: Response, text: string): Promise<void> {
    if (res.status === 202) {
      const location = res.headers.get('location');
      if (location === null)
        return this.delivery.log('warn', `202 without Location for ${requestId}; waiting for a callback`);
      return this.startPoll(requestId, location);
    }
    if (text.trim() === '' || text.trim() === '{}') return;
    await this.acceptSigned(requestId, res, text, 'inline');
  }

  /** Verifies the receiver's signature on a decision body, then hands it to the daemon. */
  private async acceptSigned(requestId: string, res: Response, text: string, how: string): Promise<void> {
    // answered: a process taking the delivery over must not poll its Location again
    const d = this.deliveries.get(requestId);
    if (d !== undefined) d.location = null;
    const verified = verifySignature(
      this.opts.secret,
      res.headers.get(TIMESTAMP_HEADER) ?? undefined,
      res.headers.get(SIGNATURE_HEADER) ?? undefined,
      text,
      this.now(),
    );
    if (!verified.ok) {
      this.delivery.failed(`${how} decision for ${requestId} refused: signature ${verified.reason}`);
      return;
    }
    let decision: WireDecision;
    try {
      decision = parseDecision(parseJsonObject(text, `${how} decision`));
    } catch (err) {
      this.delivery.failed(`${how} decision for ${requestId} refused: ${messageOf(err)}`);
      return;
    }
    if (decision.request_id !== undefined && decision.request_id !== requestId) {
      this.delivery.failed(`${how} decision names request ${decision.request_id}, expected ${requestId}: refused`);
      return;
    }
    const refusal = await this.decide(requestId, decision);
    if (refusal !== null)
      this.delivery.log('warn', `${how} decision for ${requestId} refused by the daemon: ${refusal}`);
  }

  private async decide(requestId: string, d: WireDecision): Promise<string | null> {
    if (this.host === undefined) return 'channel not started';
    return this.host.decide({
      requestId,
      action: d.action,
      identity: this.identity(d.approver),
      reason: d.reason,
      question: d.question,
    });
  }

  /**
   * A signed callback extending or revoking a grant (decision 1107): the daemon's channel paths, as
   * for a Slack click (decisions 1091, 1094); the daemon checks and records everything.
   */
  private async onGrant(a: WireGrantAction): Promise<string | null> {
    const host = this.host;
    if (host === undefined) return 'channel not started';
    const identity = this.identity(a.approver);
    if (a.action === 'revoke')
      return host.revoke === undefined
        ? 'this daemon takes no revocation from channels'
        : host.revoke({ requestId: a.request_id, identity });
    return host.extend === undefined
      ? 'this daemon takes no grant extension from channels'
      : host.extend({ requestId: a.request_id, identity, from: a.from, to: a.to });
  }

  /** The identity of a webhook answer: the approver the receiver asserts, vouched for by this endpoint's secret (decision 0502). */
  private identity(approver: string): ChannelIdentity {
    return { channel: 'webhook', id: approver, verifiedBy: `webhook:${this.opts.name}` };
  }

  private startPoll(requestId: string, location: string): void {
    let target: URL;
    try {
      target = new URL(location, this.url);
    } catch {
      return this.delivery.failed(`bad Location for ${requestId}`);
    }
    if (target.origin !== this.url.origin)
      return this.delivery.failed(`Location for ${requestId} is on another origin: refused`);
    if (this.polls.has(requestId)) return;
    this.polls.add(requestId);
    void this.poll(requestId, target).finally(() => this.polls.delete(requestId));
  }

  private poll(requestId: string, target: URL): Promise<void> {
    const path = target.pathname + target.search;
    return pollLocation({
      what: requestId,
      target,
      intervalMs: this.opts.pollIntervalMs ?? 5000,
      retry: this.opts.retry,
      delivery: this.delivery,
      headers: () => signedHeaders(this.opts.secret, `GET ${path}`, this.now()),
      stillWanted: () => {
        const view = this.views.get(requestId);
        return view !== undefined && !isFinal(view) && Date.parse(view.expiresAt) > this.now();
      },
      onAnswer: (res, text) => this.acceptSigned(requestId, res, text, 'polled'),
    });
  }
}
