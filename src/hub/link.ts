/**
 * The daemon's link to a hub, configured by `hub:` in GUARD_HOME/config.yaml. It is a channel like
 * the others: it raises open requests on the hub (PUT, retried until it lands) and long-polls the
 * hub for votes, dialling out only. The daemon stays the judge: each vote must carry a valid
 * signature by the hub vote key pinned in this config and name this host, or it is refused and
 * recorded (`approval_refused`); a valid one is then a channel decision under the usual rules
 * (the Slack user must map to an enrolled approver, four-eyes, quorum); an extension or revocation
 * goes through the same paths as the daemon's own Slack (decision 1103). A hub that is down only
 * delays: requests wait and expire, allowed commands never involve it.
 */
import type { KeyObject } from 'node:crypto';
import { isMap, parseDocument } from 'yaml';
import { z } from 'zod';
import { sleep } from '../channels/delivery.js';
import { failedChannel } from '../channels/failed.js';
import { resolveSecret } from '../channels/secrets.js';
import type { Channel, ChannelHost, RequestView } from '../channels/types.js';
import { messageOf, UsageError } from '../errors.js';
import type { LedgerWriter } from '../ledger/types.js';
import { parseVoteKey, voteSignatureValid, type VoteBody } from './vote.js';
import { guardPaths } from '../config/paths.js';
import { EvidenceForwarder } from './forward.js';
import { signedDecisionSchema } from '../approval/schema.js';
import { grantOfToken } from '../channels/scope-choice.js';
import { REQUEST_ID_PATTERN } from '../daemon/ids.js';

const hubSection = z
  .object({
    /** One URL, or several (replicas without a load balancer): a failed call moves to the next. */
    url: z.union([z.url(), z.array(z.url()).min(1).max(16)]),
    credential_ref: z
      .string()
      .regex(
        /^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/.+|keychain:[^/]+\/.+)$/,
        'must be a secret reference (env:, file:/…, keychain:)',
      ),
    vote_key: z.string().regex(/^ed25519:[A-Za-z0-9+/]{43}=$/, 'must be the hub vote key printed by `guard hub join`'),
  })
  .strict();

export type HubSection = z.infer<typeof hubSection>;

/** The `hub:` section of config.yaml, or undefined when there is none. */
export function loadHubSection(text: string, file: string): HubSection | undefined {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0 || !isMap(doc.contents)) return undefined; // the channels loader reports it
  const section = (doc.toJS() as Record<string, unknown>)['hub'];
  if (section === undefined || section === null) return undefined;
  const r = hubSection.safeParse(section);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new UsageError(`${file}: hub.${(issue?.path ?? []).join('.')}: ${issue?.message ?? 'invalid'}`, {
    hint: 'Fix the hub section of the configuration; see docs/hub.md.',
  });
}

/**
 * The identity of a grant action: what the hub's surface verified, marked as vouched for by the hub
 * (`hub+slack:…`, `hub+idp:…`); not the daemon's own page's channel, whose identity it checks itself.
 */
const hubIdentity = z
  .object({
    channel: z
      .string()
      .min(1)
      .max(64)
      .refine((c) => c !== 'web', "the web channel is the daemon's own page"),
    id: z.string().min(1).max(256),
    display: z.string().max(256).optional(),
    verifiedBy: z.string().max(600).startsWith('hub+'),
  })
  .strict();

interface WireVote {
  id: string;
  body: VoteBody;
  signature: string;
}

/** An HTTP answer other than 2xx from a replica. */
class HubRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * An answer refusing this one call for what it carries: the hub read it and will not take it. Not
 * 401/403 (the host's credential: every call fails alike until it is fixed), 408, 409 or 429 (worth
 * trying again), nor 5xx (the hub is unwell).
 */
function refusesView(err: unknown): boolean {
  return (
    err instanceof HubRefusal &&
    err.status >= 400 &&
    err.status < 500 &&
    ![401, 403, 408, 409, 429].includes(err.status)
  );
}

const BACKOFF_MAX_MS = 5000;
const SEEN_LIMIT = 10_000;

export class HubLink implements Channel {
  readonly name = 'hub';
  private host: ChannelHost | undefined;
  private readonly abort = new AbortController();
  private readonly latest = new Map<string, RequestView>();
  private readonly dirty = new Set<string>();
  private readonly seen = new Set<string>();
  private sending: Promise<void> | undefined;
  private polling: Promise<void> | undefined;
  private lastError: string | undefined;
  private connected = false;
  private votes = 0;
  private refused = 0;
  private viewsRefused = 0;
  readonly hostId: string;
  private current = 0;

  constructor(
    private readonly urls: string[],
    private readonly credential: string,
    private readonly voteKey: KeyObject,
    private readonly ledger: LedgerWriter,
    ledgerPath?: string,
  ) {
    this.hostId = credential.split('.')[0] ?? '';
    // evidence forwarding (decision 1047): the ledger's records and checkpoints go to the hub too
    if (ledgerPath !== undefined)
      this.forwarder = new EvidenceForwarder(
        ledgerPath,
        (method, path, body) => this.call(method, path, body),
        (message) => this.host?.log({ channel: 'hub', level: 'warn', message }),
      );
  }

  private readonly forwarder: EvidenceForwarder | undefined;

  start(host: ChannelHost): Promise<void> {
    this.host = host;
    this.polling = this.pollLoop();
    this.forwarder?.kick();
    return Promise.resolve();
  }

  notify(view: RequestView): Promise<void> {
    this.latest.set(view.id, view);
    this.dirty.add(view.id);
    this.sending ??= this.sendLoop().finally(() => (this.sending = undefined));
    this.forwarder?.kick();
    return Promise.resolve();
  }

  update(view: RequestView): Promise<void> {
    return this.notify(view);
  }

  /** Resolves once every view handed to the link so far has reached the hub (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.sending !== undefined) await this.sending;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled([this.sending, this.polling, this.forwarder?.stop()]);
  }

  status(): { ok: boolean; detail: string } {
    const parts = [
      this.connected ? `connected to ${this.url}` : `not connected to ${this.urls.join(', ')}`,
      `${this.votes} votes received`,
      `${this.refused} refused`,
      `${this.dirty.size} waiting to be raised`,
    ];
    if (this.viewsRefused > 0) parts.push(`${this.viewsRefused} request views refused by the hub`);
    const f = this.forwarder?.status;
    if (f !== undefined)
      parts.push(
        `${f.forwarded} records forwarded, ${f.cosigned} checkpoints cosigned${f.error === undefined ? '' : ` (forwarding: ${f.error})`}`,
      );
    if (!this.connected && this.lastError !== undefined) parts.push(`last error: ${this.lastError}`);
    return { ok: this.connected, detail: parts.join('; ') };
  }

  private get url(): string {
    return this.urls[this.current % this.urls.length]!;
  }

  private async call(method: string, path: string, body: unknown): Promise<unknown> {
    const url = this.url;
    try {
      return await this.callAt(url, method, path, body);
    } catch (err) {
      // The next replica, unless another call already moved on. A replica that answered below 500
      // is up and refused this call (as any replica would): moving on from it would leave a live
      // replica for a dead one, and every call after it would wait for the dead one to fail.
      const refused = err instanceof HubRefusal && err.status < 500;
      if (!refused && this.url === url) this.current = (this.current + 1) % this.urls.length;
      throw err;
    }
  }

  private async callAt(base: string, method: string, path: string, body: unknown): Promise<unknown> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.credential}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(60_000)]),
    });
    const text = await res.text();
    if (!res.ok) throw new HubRefusal(res.status, `hub answered ${res.status}: ${text.slice(0, 200)}`);
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }

  private failed(err: unknown): void {
    this.connected = false;
    const message = messageOf(err);
    if (message !== this.lastError) this.host?.log({ channel: 'hub', level: 'warn', message });
    this.lastError = message;
  }

  /** Raises every changed view, oldest first, retrying until the hub has it (or the link stops). */
  private async sendLoop(): Promise<void> {
    let failures = 0;
    while (!this.abort.signal.aborted && this.dirty.size > 0) {
      const id = this.dirty.values().next().value as string;
      const view = this.latest.get(id)!;
      try {
        await this.call('PUT', '/v1/requests', { view: viewForHub(view, this.host) });
        failures = 0;
        this.connected = true;
        if (this.latest.get(id) === view) {
          this.dirty.delete(id);
          if (view.state !== 'pending' && view.state !== 'needs_info') this.latest.delete(id);
        }
      } catch (err) {
        if (refusesView(err) && this.latest.get(id) === view) {
          // The hub read this view and will not take it (malformed, too large): sending it again
          // cannot succeed, and it would hold up every view queued behind it. The request stays
          // open here (approvable on this host) and is raised again when it changes.
          this.dirty.delete(id);
          this.viewsRefused++;
          this.host?.log({
            channel: 'hub',
            level: 'warn',
            message: `the hub refused request ${id}: ${messageOf(err)}`,
          });
          continue;
        }
        this.failed(err);
        await sleep(Math.min(BACKOFF_MAX_MS, 100 * 2 ** failures++), this.abort.signal);
      }
    }
  }

  private async pollLoop(): Promise<void> {
    let ack: string[] = [];
    let failures = 0;
    while (!this.abort.signal.aborted) {
      try {
        await this.syncApprovers();
        const r = (await this.call('POST', '/v1/votes/poll', { ack })) as { votes?: WireVote[] };
        ack = [];
        failures = 0;
        this.connected = true;
        // at least once a poll (20 s), whatever was written meanwhile goes to the hub
        this.forwarder?.kick();
        for (const v of r.votes ?? []) {
          await this.handle(v);
          ack.push(v.id);
        }
      } catch (err) {
        if (this.abort.signal.aborted) return;
        this.failed(err);
        await sleep(Math.min(BACKOFF_MAX_MS, 100 * 2 ** failures++), this.abort.signal);
      }
    }
  }

  private sentApprovers: string | undefined;

  /** The approvers' public keys go to the hub when they changed (decision 1049: whom the hub lets read and relay). */
  private async syncApprovers(): Promise<void> {
    const keys = this.host?.approverKeys?.();
    if (keys === undefined) return;
    const text = JSON.stringify(keys);
    if (text === this.sentApprovers) return;
    await this.call('PUT', '/v1/approvers', { approvers: keys });
    this.sentApprovers = text;
  }

  /** An approver-signed decision: the daemon checks it like a local `guard approve`; the hub only relayed it. */
  private async handleSigned(v: WireVote, b: VoteBody): Promise<void> {
    const parsed = signedDecisionSchema.safeParse(b.signed);
    if (!parsed.success || parsed.data.requestId !== b.requestId)
      return this.refuse(v, 'hub-malformed', 'the relayed signed decision is malformed or names another request');
    if (this.host?.decideSigned === undefined)
      return this.refuse(v, 'hub-unsupported', 'this daemon takes no signed decisions from the hub');
    const refusal = await this.host.decideSigned(parsed.data);
    if (refusal !== null) {
      this.refused++;
      this.host.log({ channel: 'hub', level: 'warn', message: `signed decision ${v.id} refused: ${refusal}` });
    }
  }

  /**
   * An extension or revocation of a grant from the hub's web page, Slack or fleet (decision 1103): the
   * same paths as the daemon's own channels (`host.extend`, `host.revoke`), which check the identity,
   * eligibility and bounds and record the result or the refusal. The identity must be one a hub
   * vouches for (`verifiedBy` "hub+…"), never one this daemon's own surfaces verify.
   */
  private async handleGrantAction(v: WireVote, b: VoteBody): Promise<void> {
    const who = hubIdentity.safeParse(b.identity);
    if (typeof b.requestId !== 'string' || !REQUEST_ID_PATTERN.test(b.requestId))
      return this.refuse(v, 'hub-malformed', 'the grant action names no request', { action: b.action });
    if (!who.success)
      return this.refuse(v, 'hub-malformed', 'the grant action names no identity a hub vouches for', {
        action: b.action,
      });
    const host = this.host;
    const identity = who.data;
    const refusal =
      b.action === 'revoke'
        ? await host?.revoke?.({ requestId: b.requestId, identity })
        : await host?.extend?.({ requestId: b.requestId, identity, from: b.from, to: b.to });
    if (refusal === undefined)
      return this.refuse(v, 'hub-unsupported', `this daemon takes no ${b.action} from the hub`, { action: b.action });
    if (refusal !== null) {
      this.refused++;
      this.host?.log({ channel: 'hub', level: 'warn', message: `${b.action} ${v.id} refused: ${refusal}` });
    }
  }

  private async refuse(v: WireVote, code: string, reason: string, extra: Record<string, string> = {}): Promise<void> {
    this.refused++;
    const body = v.body as Partial<VoteBody> | undefined;
    await this.ledger.append('approval_refused', {
      requestId: typeof body?.requestId === 'string' ? body.requestId : null,
      channel: 'hub',
      code,
      reason,
      vote: String(v.id),
      identity: typeof body?.identity?.id === 'string' ? body.identity.id : null,
      ...extra,
    });
    this.host?.log({ channel: 'hub', level: 'warn', message: `vote ${v.id} refused: ${reason}` });
  }

  private async handle(v: WireVote): Promise<void> {
    if (this.seen.has(v.id)) return;
    this.seen.add(v.id);
    if (this.seen.size > SEEN_LIMIT) this.seen.delete(this.seen.values().next().value as string);
    this.votes++;
    const b = v.body;
    if (typeof v.signature !== 'string' || !voteSignatureValid(b, v.signature, this.voteKey))
      return this.refuse(v, 'hub-signature', 'the vote does not carry a valid signature by the pinned hub vote key');
    if (b.host !== this.hostId || String(b.vote) !== String(v.id))
      return this.refuse(v, 'hub-wrong-host', 'the vote was signed for another host or another vote id');
    this.host?.log({ channel: 'hub', level: 'info', message: `vote ${v.id}: ${b.action} of ${b.requestId}` });
    if (b.signed !== undefined) return this.handleSigned(v, b);
    if (b.action === 'extend' || b.action === 'revoke') return this.handleGrantAction(v, b);
    // Like a grant action's: only an identity the hub vouches for ("hub+…"), never one that would read
    // in the ledger as verified by this daemon's own surfaces (decision 1103).
    const who = hubIdentity.safeParse(b.identity);
    if (!who.success)
      return this.refuse(v, 'hub-malformed', 'the vote names no identity a hub vouches for', {
        action: String(b.action),
      });
    const grant = this.voteGrant(b);
    if (grant !== undefined && !grant.ok)
      return this.refuse(v, 'grant-refused', grant.reason, {
        // the token asked for, when it has the tokens' shape (nothing else of a hostile body is kept)
        ...(typeof b.scope === 'string' && /^[a-z0-9-]{1,40}$/.test(b.scope) ? { scope: b.scope } : {}),
      });
    await this.host?.decide({
      requestId: b.requestId,
      action: b.action,
      identity: who.data,
      reason: b.reason,
      question: b.question,
      ...(grant?.grant === undefined ? {} : { grant: grant.grant }),
    });
  }

  /**
   * The scoped grant a hub vote carries (decision 1090), rebuilt from its token against this daemon's
   * own view of the request, as the daemon's own Slack does; its bounds are checked when it counts.
   */
  private voteGrant(b: VoteBody): ReturnType<typeof grantOfToken> | undefined {
    if (b.scope === undefined) return undefined;
    if (typeof b.scope !== 'string')
      return { ok: false, reason: 'the vote names its scope in a form guard never sends' };
    const view = this.host?.pending?.({ id: b.requestId }).find((p) => p.detail.view.id === b.requestId)?.detail.view;
    if (view === undefined) return { ok: false, reason: `no open request ${b.requestId} to grant a scope on` };
    return grantOfToken(view, b.scope);
  }
}

/**
 * The view as the hub gets it. An open request's carries the fingerprint an approver signs over, and
 * whether its rule needs a step-up login (the hub's web page then sends the approver to the host;
 * decision 1068). A live grant's (`revocable`) carries the grant now, uses left and expiry, which the
 * hub's surfaces show beside Extend and Revoke (decision 1103). From the daemon's own record.
 */
function viewForHub(view: RequestView, host: ChannelHost | undefined): RequestView {
  if (view.revocable === true) {
    const live = host?.grants?.().find((g) => g.view.id === view.id);
    if (live !== undefined) return { ...view, grant: live.grant } as RequestView;
    // no longer live (used up or expired since the view was made): nothing to offer on the hub
    const { revocable: _gone, extendOffer: _none, ...rest } = view;
    return rest;
  }
  if (view.state !== 'pending' && view.state !== 'needs_info') return view;
  const detail = host?.pending?.({ id: view.id }).find((p) => p.detail.view.id === view.id)?.detail;
  if (detail === undefined) return view;
  return {
    ...view,
    fingerprint: detail.fingerprint,
    ...(detail.stepUp === true ? { stepUp: true } : {}),
  } as RequestView;
}

/** The hub link for a config file's `hub:` section (none when absent; a failed channel when it cannot be built). */
export async function hubLinkFor(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv,
  ledger: LedgerWriter,
): Promise<Channel[]> {
  const section = loadHubSection(text, file);
  if (section === undefined) return [];
  try {
    const credential = (await resolveSecret(section.credential_ref, env)).trim();
    const urls = (typeof section.url === 'string' ? [section.url] : section.url).map((u) => u.replace(/\/+$/, ''));
    return [new HubLink(urls, credential, parseVoteKey(section.vote_key), ledger, guardPaths(env).ledgerDb)];
  } catch (err) {
    return [failedChannel('hub', err)];
  }
}
