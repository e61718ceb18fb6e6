/**
 * Microsoft Teams channel: an Adaptive Card posted to a Workflows / Power Automate webhook.
 * Approval mode: the flow answers 202 + Location (asynchronous response); polling the Location
 * returns 202 while the Teams approval waits and finally 200
 * `{outcome: 'Approve'|'Reject', responder: {email}, comments}`. Notify mode: cards only.
 * The workflow URL carries a signature (sig=…) and is a secret: only its origin is ever logged.
 */
import { Delivery, type RetryPolicy } from '../delivery.js';
import { checkUrl, displayUrl, parseJsonObject, readResponse, REQUEST_TIMEOUT_MS } from '../http.js';
import { pollLocation, type DeliveryRef as CardRef } from '../poll.js';
import type { Channel, ChannelHost, RequestView } from '../types.js';
import { isFinal } from '../webhook/payload.js';
import { messageBody } from './card.js';
import { grantOfToken } from '../scope-choice.js';
import { messageOf } from '../../errors.js';

export interface TeamsOptions {
  workflowUrl: string;
  mode: 'approval' | 'notify';
  retry: RetryPolicy;
  pollIntervalMs?: number;
  allowInsecureHttp?: boolean;
  /** The flow returns the card's `guard_scope` choice as `scope` (decision 1089); off: cards offer no scope. */
  scopeChoice?: boolean;
  now?: () => number;
}

const EMAIL = /^[^\s@<>]{1,200}@[^\s@<>]{1,200}$/;

/** Validates the flow's final answer (the contract documented in docs/channels.md). */
export function parseOutcome(value: Record<string, unknown>): {
  action: 'approve' | 'deny';
  email: string;
  comments: string | undefined;
  /** The card's `guard_scope` choice as the flow returned it (decision 1089); undefined: once. */
  scope: string | undefined;
} {
  const outcome = value['outcome'];
  if (outcome !== 'Approve' && outcome !== 'Reject')
    throw new Error(`outcome must be "Approve" or "Reject", got ${JSON.stringify(outcome)?.slice(0, 40)}`);
  const responder = value['responder'] as { email?: unknown } | undefined;
  const email = responder?.email;
  if (typeof email !== 'string' || !EMAIL.test(email))
    throw new Error('responder.email is missing or not an e-mail address');
  const comments = value['comments'];
  if (comments !== undefined && comments !== null && typeof comments !== 'string')
    throw new Error('comments must be a string');
  const scope = value['scope'];
  if (scope !== undefined && scope !== null && (typeof scope !== 'string' || scope.length > 64))
    throw new Error('scope must be a short string (the card’s guard_scope choice)');
  return {
    action: outcome === 'Approve' ? 'approve' : 'deny',
    email: email.toLowerCase(),
    comments: typeof comments === 'string' && comments !== '' ? comments.slice(0, 2000) : undefined,
    scope: typeof scope === 'string' && scope !== '' ? scope : undefined,
  };
}

export class TeamsChannel implements Channel {
  readonly name = 'teams';
  private readonly url: URL;
  private readonly delivery: Delivery;
  private readonly now: () => number;
  private readonly views = new Map<string, RequestView>();
  private readonly polls = new Set<string>();
  /** Requests whose approval run ended with an accepted answer (raised again if still pending). */
  private readonly answered = new Set<string>();
  /** Per request: the card posted last, the view it shows, and the Location being polled. */
  private readonly cards = new Map<string, CardRef & { shows: RequestView }>();
  /** Cards adopted before start: their polling resumes once a host can take the answer. */
  private readonly adopted: string[] = [];
  private host: ChannelHost | undefined;

  constructor(private readonly opts: TeamsOptions) {
    this.url = checkUrl(opts.workflowUrl, opts.allowInsecureHttp ?? false);
    this.delivery = new Delivery('teams', opts.retry);
    this.now = opts.now ?? Date.now;
  }

  start(host: ChannelHost): Promise<void> {
    this.host = host;
    this.delivery.attach(host);
    for (const id of this.adopted.splice(0)) this.resume(id);
    return Promise.resolve();
  }

  /** The card posted last for a request and the view it shows (the hub records it, decision 1070). */
  messageRef(requestId: string): (CardRef & { shows: RequestView }) | undefined {
    return this.cards.get(requestId);
  }

  /** Takes over a card posted by another process: polls its Location instead of posting it again. */
  adopt(view: RequestView, ref: CardRef): void {
    this.views.set(view.id, view);
    this.cards.set(view.id, { location: ref.location, shows: view });
    if (this.host === undefined) this.adopted.push(view.id);
    else this.resume(view.id);
  }

  private resume(requestId: string): void {
    const location = this.cards.get(requestId)?.location;
    if (location === null || location === undefined) return;
    try {
      this.pollAt(requestId, checkUrl(location, this.opts.allowInsecureHttp ?? false));
    } catch (err) {
      this.delivery.failed(`the kept Location for ${requestId} is refused: ${messageOf(err)}`);
    }
  }

  notify(view: RequestView): Promise<void> {
    return this.post('request.created', view);
  }

  /** Workflows cannot edit a posted card: final states and questions get a new status card. */
  update(view: RequestView): Promise<void> {
    // an open request no card was posted for here (the hub's owner only updates): its approval card
    if (view.state === 'pending' && !this.views.has(view.id)) return this.post('request.created', view);
    this.views.set(view.id, view);
    if (view.state === 'pending' && this.answered.delete(view.id)) {
      // Quorum not reached yet and our flow run is over: ask the next approver.
      return this.post('request.created', view);
    }
    if (!isFinal(view) && view.state !== 'needs_info') return Promise.resolve();
    return this.post('request.updated', view);
  }

  flush(): Promise<void> {
    return this.delivery.flush();
  }

  stop(): Promise<void> {
    this.delivery.stop();
    return Promise.resolve();
  }

  status(): { ok: boolean; detail: string } {
    return this.delivery.status({
      ok: true,
      detail: `${this.opts.mode} → ${displayUrl(this.url)}; ${this.polls.size} waiting for an approval`,
    });
  }

  private post(event: 'request.created' | 'request.updated', view: RequestView): Promise<void> {
    this.views.set(view.id, view);
    const approval = this.opts.mode === 'approval' && event === 'request.created' && !isFinal(view);
    const body = messageBody(event, view, approval, approval && this.opts.scopeChoice === true);
    return this.delivery.enqueue(`${event} ${view.id}`, async () => {
      const res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        redirect: 'error',
        signal: AbortSignal.any([AbortSignal.timeout(REQUEST_TIMEOUT_MS), this.delivery.signal]),
      });
      const text = await readResponse(res);
      if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status} from ${displayUrl(this.url)}`);
      const location = res.headers.get('location');
      this.cards.set(view.id, {
        location: approval
          ? res.status === 202 && location !== null && URL.canParse(location, this.url.href)
            ? new URL(location, this.url).toString()
            : null
          : (this.cards.get(view.id)?.location ?? null),
        shows: view,
      });
      if (!approval) return;
      return () => this.afterPost(view.id, res, text);
    });
  }

  private async afterPost(requestId: string, res: Response, text: string): Promise<void> {
    if (res.status === 200 && text.trim() !== '') return this.accept(requestId, text);
    const location = res.headers.get('location');
    if (res.status !== 202 || location === null) {
      this.delivery.failed(
        `the flow answered HTTP ${res.status} without a Location for ${requestId}: it cannot report an approval (is "Asynchronous response" on?)`,
      );
      return;
    }
    this.pollAt(requestId, checkUrl(new URL(location, this.url).toString(), this.opts.allowInsecureHttp ?? false));
  }

  private pollAt(requestId: string, target: URL): void {
    if (this.polls.has(requestId)) return;
    this.polls.add(requestId);
    void pollLocation({
      what: requestId,
      target,
      intervalMs: this.opts.pollIntervalMs ?? 10_000,
      retry: this.opts.retry,
      delivery: this.delivery,
      stillWanted: () => {
        const view = this.views.get(requestId);
        return view !== undefined && !isFinal(view) && Date.parse(view.expiresAt) > this.now();
      },
      onAnswer: (_res, body) => {
        // this flow run has answered: a process taking the card over must not poll it again
        const card = this.cards.get(requestId);
        if (card !== undefined) card.location = null;
        return this.accept(requestId, body);
      },
    }).finally(() => this.polls.delete(requestId));
  }

  private async accept(requestId: string, text: string): Promise<void> {
    let outcome: ReturnType<typeof parseOutcome>;
    try {
      outcome = parseOutcome(parseJsonObject(text, 'flow response'));
    } catch (err) {
      this.delivery.failed(`Teams answer for ${requestId} refused: ${messageOf(err)}`);
      return;
    }
    if (this.host === undefined) return;
    // the scope chosen on the card: rebuilt against the request, its bounds checked by the daemon
    const shown = this.views.get(requestId);
    const chosen =
      outcome.action !== 'approve' || outcome.scope === undefined
        ? ({ ok: true, grant: undefined } as const)
        : this.opts.scopeChoice !== true
          ? ({
              ok: false,
              reason: 'the flow returned a scope, but this channel offers none (teams.scope_choice)',
            } as const)
          : shown === undefined
            ? ({ ok: false, reason: `request ${requestId} is not one this channel posted` } as const)
            : grantOfToken(shown, outcome.scope);
    const refusal = !chosen.ok
      ? chosen.reason
      : await this.host.decide({
          requestId,
          action: outcome.action,
          identity: { channel: 'teams', id: outcome.email, verifiedBy: `teams:${this.url.host}` },
          reason: outcome.comments,
          ...(chosen.grant === undefined ? {} : { grant: chosen.grant }),
        });
    if (refusal === null) {
      this.answered.add(requestId);
      return;
    }
    this.delivery.log(
      'warn',
      `Teams decision by ${outcome.email} for ${requestId} refused${chosen.ok ? ' by the daemon' : ''}: ${refusal}`,
    );
    // The flow run is over: raise the request again so that someone else can answer it.
    const view = this.views.get(requestId);
    if (view !== undefined && !isFinal(view) && Date.parse(view.expiresAt) > this.now())
      void this.post('request.created', view);
  }
}
