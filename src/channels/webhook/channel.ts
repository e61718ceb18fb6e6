/**
 * Webhook / API channel: signed POSTs; decisions return inline (signed 200 body), by polling the
 * Location of a 202, or by signed callback to the daemon's HTTP listener.
 */
import { Delivery, type RetryPolicy } from '../delivery.js';
import { pollLocation } from '../poll.js';
import { checkUrl, displayUrl, parseJsonObject, readResponse, REQUEST_TIMEOUT_MS } from '../http.js';
import type { HttpListener } from '../http-listener.js';
import { SIGNATURE_HEADER, signedHeaders, TIMESTAMP_HEADER, verifySignature } from '../signing.js';
import type { Channel, ChannelHost, RequestView } from '../types.js';
import { buildEnvelope, isFinal, parseDecision, type Envelope, type WireDecision } from './payload.js';
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
    if (this.opts.mode === 'callback') {
      if (this.opts.listener === undefined)
        throw new Error(`${this.name}: mode "callback" needs channels.http_listener`);
      await this.opts.listener.register(this.opts.name, {
        secret: this.opts.secret,
        onDecision: (d) => this.decide(d.request_id, d),
      });
    }
  }

  notify(view: RequestView): Promise<void> {
    return this.send('request.created', view);
  }

  update(view: RequestView): Promise<void> {
    return this.send('request.updated', view);
  }

  flush(): Promise<void> {
    return this.delivery.flush();
  }

  async stop(): Promise<void> {
    this.delivery.stop();
    if (this.opts.mode === 'callback') await this.opts.listener?.unregister(this.opts.name);
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
      callbackUrl: this.opts.mode === 'callback' ? this.opts.listener?.callbackUrl(this.opts.name) : undefined,
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
      identity: { channel: 'webhook', id: d.approver, verifiedBy: `webhook:${this.opts.name}` },
      reason: d.reason,
      question: d.question,
    });
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
