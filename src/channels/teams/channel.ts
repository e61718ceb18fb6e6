/**
 * Microsoft Teams channel: an Adaptive Card posted to a Workflows / Power Automate webhook.
 * Approval mode: the flow answers 202 + Location (asynchronous response); polling the Location
 * returns 202 while the Teams approval waits and finally 200
 * `{outcome: 'Approve'|'Reject', responder: {email}, comments}`. Notify mode: cards only.
 * The workflow URL carries a signature (sig=…) and is a secret: only its origin is ever logged.
 * With `grantActions` (decision 1111) an approved live grant gets a live-grant card the flow waits
 * on; its answer `{grant_action, responder: {email}}` extends or revokes through the daemon's
 * channel paths (host.extend / host.revoke), as Slack and webhook callbacks do.
 */
import { Delivery, type RetryPolicy } from '../delivery.js';
import { checkUrl, displayUrl, parseJsonObject, readResponse, REQUEST_TIMEOUT_MS } from '../http.js';
import { pollLocation, type DeliveryRef as CardRef } from '../poll.js';
import type { Channel, ChannelHost, RequestView } from '../types.js';
import { isFinal } from '../webhook/payload.js';
import { messageBody, type GrantCard } from './card.js';
import { GRANT_ACTION_MAX_CHARS, readGrantAction } from './grant-action.js';
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
  /** The flow waits on live-grant cards and returns their `guard_grant_action` choice (decision 1111); off: no grant card. */
  grantActions?: boolean;
  now?: () => number;
}

const EMAIL = /^[^\s@<>]{1,200}@[^\s@<>]{1,200}$/;

/** The responder's e-mail of a flow answer, lower-cased; refused when missing or not an address. */
function responderEmail(value: Record<string, unknown>): string {
  const email = (value['responder'] as { email?: unknown } | undefined)?.email;
  if (typeof email !== 'string' || !EMAIL.test(email))
    throw new Error('responder.email is missing or not an e-mail address');
  return email.toLowerCase();
}

/** Validates a live-grant card's answer (decision 1111): `{grant_action, responder: {email}}`, nothing of an approval. */
export function parseGrantAnswer(value: Record<string, unknown>): { value: string; email: string } {
  const action = value['grant_action'];
  if (typeof action !== 'string' || action === '' || action.length > GRANT_ACTION_MAX_CHARS)
    throw new Error('grant_action must be the card’s guard_grant_action choice (a short string)');
  if (value['outcome'] !== undefined || value['scope'] !== undefined)
    throw new Error('a live-grant card is answered with grant_action only, not an approval outcome or scope');
  return { value: action, email: responderEmail(value) };
}

/** An approved grant gets a live-grant card: live, and worth acting on (more than one use left, or extendable). */
function liveCard(view: RequestView): boolean {
  const g = view.liveGrant;
  return (
    view.state === 'approved' &&
    view.revocable === true &&
    g !== undefined &&
    (g.usesLeft > 1 || view.extendOffer !== undefined)
  );
}

/** A request's live-grant card: the grant as last seen, and whether its final card was posted. */
interface GrantCardState {
  latest: { usesLeft: number; expiresAt: string };
  ended: boolean;
}

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
  const email = responderEmail(value);
  const comments = value['comments'];
  if (comments !== undefined && comments !== null && typeof comments !== 'string')
    throw new Error('comments must be a string');
  const scope = value['scope'];
  if (scope !== undefined && scope !== null && (typeof scope !== 'string' || scope.length > 64))
    throw new Error('scope must be a short string (the card’s guard_scope choice)');
  return {
    action: outcome === 'Approve' ? 'approve' : 'deny',
    email,
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
  /** Per request, its current live-grant card (decision 1111); a newer card replaces the entry. */
  private readonly grantCards = new Map<string, GrantCardState>();
  /** Per request, the final state whose status card was posted (a later change of the view in that state posts none). */
  private readonly finalPosted = new Map<string, RequestView['state']>();
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
    if (this.grantActions()) {
      if (view.state === 'approved') return this.updateGrant(view);
      // revoked (or any other end): the status card below is the grant card's final card
      const card = this.grantCards.get(view.id);
      if (card !== undefined) card.ended = true;
    }
    // an open request no card was posted for here (the hub's owner only updates): its approval card
    if (view.state === 'pending' && !this.views.has(view.id)) return this.post('request.created', view);
    this.views.set(view.id, view);
    if (view.state === 'pending' && this.answered.delete(view.id)) {
      // Quorum not reached yet and our flow run is over: ask the next approver.
      return this.post('request.created', view);
    }
    if (!isFinal(view) && view.state !== 'needs_info') return Promise.resolve();
    // a final state is announced once: each use of a grant changes the view, not the state
    if (isFinal(view) && this.finalPosted.get(view.id) === view.state) return Promise.resolve();
    if (isFinal(view)) this.finalPosted.set(view.id, view.state);
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

  /** POSTs a message to the flow; its response and text (a status outside 2xx throws, for a retry). */
  private async send(body: string): Promise<{ res: Response; text: string }> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      redirect: 'error',
      signal: AbortSignal.any([AbortSignal.timeout(REQUEST_TIMEOUT_MS), this.delivery.signal]),
    });
    const text = await readResponse(res);
    if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status} from ${displayUrl(this.url)}`);
    return { res, text };
  }

  private post(event: 'request.created' | 'request.updated', view: RequestView): Promise<void> {
    this.views.set(view.id, view);
    const approval = this.opts.mode === 'approval' && event === 'request.created' && !isFinal(view);
    const body = messageBody(event, view, approval, approval && this.opts.scopeChoice === true);
    return this.delivery.enqueue(`${event} ${view.id}`, async () => {
      const { res, text } = await this.send(body);
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

  private grantActions(): boolean {
    return this.opts.grantActions === true && this.opts.mode === 'approval';
  }

  /**
   * An approved request's change with grant actions on (decision 1111). A new grant (the approval,
   * or an extension from any surface) gets a fresh live-grant card; a use of the grant posts
   * nothing (the card's answer is checked against the grant as it is then); the grant's end after a
   * live-grant card gets the final card. A grant no live-grant card is for: the status card, as ever.
   */
  private updateGrant(view: RequestView): Promise<void> {
    this.views.set(view.id, view);
    const card = this.grantCards.get(view.id);
    if (liveCard(view)) {
      const g = view.liveGrant!;
      const widened = card === undefined || g.expiresAt !== card.latest.expiresAt || g.usesLeft > card.latest.usesLeft;
      if (card !== undefined && !card.ended && !widened) {
        card.latest = { usesLeft: g.usesLeft, expiresAt: g.expiresAt };
        return Promise.resolve();
      }
      return this.postGrant(view);
    }
    if (card === undefined) return this.post('request.updated', view);
    if (card.ended) return Promise.resolve();
    return this.postGrantEnded(view, card);
  }

  /** The final card of a live grant that ended by use or by time (a revocation's is the Revoked card). */
  private postGrantEnded(view: RequestView, card: GrantCardState): Promise<void> {
    card.ended = true;
    const expired = !(Date.parse(card.latest.expiresAt) > this.now());
    const why = expired ? `it expired at ${card.latest.expiresAt}` : 'no uses are left';
    return this.postCard('request.updated', view, false, { kind: 'ended', why });
  }

  /** Posts a live-grant card the flow waits on, and reads its answer (at once, or at its Location). */
  private postGrant(view: RequestView): Promise<void> {
    const g = view.liveGrant!;
    const card: GrantCardState = { latest: { usesLeft: g.usesLeft, expiresAt: g.expiresAt }, ended: false };
    this.grantCards.set(view.id, card);
    return this.postCard('request.updated', view, true, { kind: 'live' }, (res, text) =>
      this.afterGrantPost(view.id, card, res, text),
    );
  }

  private postCard(
    event: 'request.created' | 'request.updated',
    view: RequestView,
    wants: boolean,
    grant: GrantCard,
    after?: (res: Response, text: string) => Promise<void>,
  ): Promise<void> {
    const body = messageBody(event, view, wants, false, grant);
    return this.delivery.enqueue(`grant ${grant.kind} ${view.id}`, async () => {
      const { res, text } = await this.send(body);
      return after === undefined ? undefined : () => after(res, text);
    });
  }

  private afterGrantPost(requestId: string, card: GrantCardState, res: Response, text: string): Promise<void> {
    if (this.grantCards.get(requestId) !== card) return Promise.resolve();
    if (res.status === 200 && text.trim() !== '') return this.acceptGrant(requestId, card, text);
    const location = res.headers.get('location');
    if (res.status !== 202 || location === null) {
      this.delivery.failed(
        `the flow answered HTTP ${res.status} without a Location for the grant of ${requestId}: it cannot report a grant action`,
      );
      return Promise.resolve();
    }
    const target = checkUrl(new URL(location, this.url).toString(), this.opts.allowInsecureHttp ?? false);
    const current = () => this.grantCards.get(requestId) === card && !card.ended;
    void pollLocation({
      what: `grant of ${requestId}`,
      target,
      intervalMs: this.opts.pollIntervalMs ?? 10_000,
      retry: this.opts.retry,
      delivery: this.delivery,
      stillWanted: () => current() && Date.parse(card.latest.expiresAt) > this.now(),
      onAnswer: (_res, body) => this.acceptGrant(requestId, card, body),
    }).finally(() => {
      // the grant expired while its card waited (no change of the request says so): its final card
      const view = this.views.get(requestId);
      if (
        current() &&
        view !== undefined &&
        !this.delivery.signal.aborted &&
        !(Date.parse(card.latest.expiresAt) > this.now())
      )
        void this.postGrantEnded(view, card);
    });
    return Promise.resolve();
  }

  /**
   * A live-grant card's answer: read, checked against the card's request, and handed to the
   * daemon's channel paths (the responder's eligibility, the grant as shown, the bounds, the
   * records). Accepted: the daemon's update posts the fresh card or the final one. Refused: logged
   * (recorded by the daemon when it got that far) and, the flow run being over, a fresh card posted.
   */
  private async acceptGrant(requestId: string, card: GrantCardState, text: string): Promise<void> {
    let answer: ReturnType<typeof parseGrantAnswer>;
    try {
      answer = parseGrantAnswer(parseJsonObject(text, 'flow response'));
    } catch (err) {
      this.delivery.failed(`Teams grant answer for ${requestId} refused: ${messageOf(err)}`);
      return this.grantAgain(requestId, card);
    }
    const host = this.host;
    if (host === undefined) return;
    const action = readGrantAction(answer.value, requestId);
    const identity = { channel: 'teams', id: answer.email, verifiedBy: `teams:${this.url.host}` };
    let refusal: string | null;
    if (!action.ok) refusal = action.reason;
    else if (action.kind === 'revoke')
      refusal =
        host.revoke === undefined
          ? 'revocation is not available on this channel'
          : await host.revoke({ requestId, identity });
    else
      refusal =
        host.extend === undefined
          ? 'grant extension is not available on this channel'
          : await host.extend({ requestId, identity, from: action.from, to: action.to });
    if (refusal === null) return;
    const what = action.ok ? action.kind : 'grant action';
    this.delivery.log(
      'warn',
      `Teams ${what} by ${answer.email} for ${requestId} refused${action.ok ? ' by the daemon' : ''}: ${refusal}`,
    );
    return this.grantAgain(requestId, card);
  }

  /** The card's flow run is over with nothing done: a fresh card while the grant is still live. */
  private grantAgain(requestId: string, card: GrantCardState): Promise<void> {
    const view = this.views.get(requestId);
    if (this.grantCards.get(requestId) !== card || card.ended || view === undefined || !liveCard(view))
      return Promise.resolve();
    if (!(Date.parse(card.latest.expiresAt) > this.now())) return this.postGrantEnded(view, card);
    return this.postGrant(view);
  }
}
