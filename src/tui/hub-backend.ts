/**
 * `guard tui --hub URL` (decision 1049): the fleet's open requests come from the hub instead of
 * the local daemon, each with the name of its host; a decision is signed with the approver's own
 * key, exactly as `guard approve ID` signs it (over the fingerprint the host's daemon reported),
 * and relayed by the hub to that host, whose daemon checks it against its own registry. The
 * approver logs in to the hub once with a signature; the session token authorises the reads.
 */
import type { RequestView } from '../channels/types.js';
import { approverHeaders } from '../hub/approver-auth.js';
import { messageOf } from '../errors.js';
import type { ApproverSession } from './approver.js';
import { KeyLockedError } from './approver.js';
import { DecisionError, type Backend, type BatchOutcome } from './backend.js';
import { followHubEvents, type HubEvents } from './hub-events.js';
import { backoffDelay } from './link.js';
import { grantText } from './grants.js';
import type { BatchIntent, DecisionIntent, ExtendIntent, GrantInfo, HistoryItem, RevokeIntent } from './model.js';
import type { Action } from './reducer.js';
import { parseGrants, parseView } from './wire.js';

/**
 * How often the fleet list is read again without being told: a slow fallback, since the hub's
 * event stream says when it changed (decision 1076).
 */
export const FLEET_REFRESH_MS = 30_000;
const CALL_TIMEOUT_MS = 15_000;

interface FleetRow {
  host: string;
  view: RequestView & { fingerprint?: string };
}

/** The fleet's live grants (decision 1103): their views (shown in the list) and the grants (for `e` and `R`). */
interface FleetGrants {
  views: RequestView[];
  grants: GrantInfo[];
  hosts: Map<string, string>;
  dropped: number;
}

/** Opens an approver session on the hub with one signature; returns its token. */
export async function hubLogin(
  url: string,
  key: { publicKey: string; signBytes(statement: object): string },
  now: number,
): Promise<string> {
  const path = '/v1/fleet/session';
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: approverHeaders(key, 'POST', path, '', now),
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`the hub refused the login (${res.status}): ${text.slice(0, 200)}`);
  return (JSON.parse(text) as { token: string }).token;
}

export class HubBackend implements Backend {
  private rows = new Map<string, FleetRow>();
  /** The host of each live grant the hub listed last. */
  private grantHosts = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private attempt = 0;
  private emit: (a: Action) => void = () => undefined;
  private events: HubEvents | undefined;
  /** A read is under way; `again`: the list changed meanwhile, read once more when it ends. */
  private reading = false;
  private again = false;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly session: ApproverSession,
    private readonly now: () => number,
    private readonly refreshMs = FLEET_REFRESH_MS,
  ) {}

  start(emit: (a: Action) => void): void {
    this.emit = emit;
    this.stopped = false;
    this.emit({ type: 'connection', connection: { status: 'connecting', attempt: 0 } });
    void this.refresh();
    this.events = followHubEvents(this.url, this.token, () => this.changed());
  }

  /** The hub says the list changed: read it now (once more after a read under way). */
  private changed(): void {
    if (this.stopped) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    void this.refresh();
  }

  stop(): void {
    this.stopped = true;
    this.events?.stop();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.session.lock();
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`the hub answered ${res.status}: ${text.slice(0, 200)}`);
    return JSON.parse(text) as unknown;
  }

  /** One read of the fleet list; the views the TUI shows carry their host name. */
  private async refresh(): Promise<void> {
    if (this.stopped) return;
    let delay = this.refreshMs;
    this.reading = true;
    this.again = false;
    try {
      const data = (await this.call('GET', '/v1/fleet/requests')) as { requests?: unknown };
      const rows = new Map<string, FleetRow>();
      const views: RequestView[] = [];
      let dropped = 0;
      for (const r of Array.isArray(data.requests) ? (data.requests as { host?: unknown; view?: unknown }[]) : []) {
        const view = parseView(r.view);
        const fp = (r.view as { fingerprint?: unknown } | undefined)?.fingerprint;
        if (view === undefined || typeof r.host !== 'string' || typeof fp !== 'string') {
          dropped++;
          continue;
        }
        const shown = { ...view, fleetHost: r.host } as RequestView;
        rows.set(view.id, { host: r.host, view: { ...view, fingerprint: fp } });
        views.push(shown);
      }
      const live = await this.readGrants();
      for (const v of live.views) if (!rows.has(v.id)) views.push(v);
      dropped += live.dropped;
      this.rows = rows;
      this.attempt = 0;
      this.emit({ type: 'connection', connection: { status: 'live' } });
      this.emit({ type: 'snapshot', views });
      this.emit({ type: 'grants-loaded', grants: live.grants });
      if (dropped > 0)
        this.emit({
          type: 'flash',
          flash: { level: 'error', text: `${dropped} malformed request(s) from the hub were ignored` },
        });
    } catch (err) {
      this.attempt += 1;
      delay = backoffDelay(this.attempt);
      this.emit({
        type: 'connection',
        connection: {
          status: 'down',
          message: `hub ${this.url}: ${messageOf(err)}`,
          retryAt: this.now() + delay,
          attempt: this.attempt,
        },
      });
    }
    this.reading = false;
    if (this.again && this.attempt === 0) delay = 0;
    if (!this.stopped) this.timer = setTimeout(() => void this.refresh(), delay);
  }

  unlock(passphrase: Buffer): Promise<number> {
    return Promise.resolve().then(() => this.session.unlock(passphrase));
  }

  lock(): void {
    this.session.lock();
  }

  async decide(intent: DecisionIntent): Promise<string> {
    const row = this.rows.get(intent.requestId);
    if (row === undefined) throw new DecisionError(`not sent: ${intent.requestId} is no longer open on the hub`, false);
    let signed;
    try {
      signed = this.session.sign({
        v: 1,
        requestId: intent.requestId,
        fingerprint: row.view.fingerprint!,
        action: intent.action,
        reason: intent.reason,
        question: intent.question,
        at: new Date(this.now()).toISOString(),
        approver: this.session.name,
        preview: row.view.preview?.sha256,
      });
    } catch (err) {
      if (err instanceof KeyLockedError) throw new DecisionError(err.message, true);
      throw new DecisionError(`not sent: ${messageOf(err)}`, false);
    }
    try {
      await this.call('POST', '/v1/fleet/decisions', { host: row.host, signed });
    } catch (err) {
      throw new DecisionError(`not sent: ${messageOf(err)}`, false);
    }
    return `${intent.action} of ${intent.requestId} on ${row.host} signed as ${this.session.name} and relayed; the host's daemon checks it`;
  }

  /** One read of `GET /v1/fleet/grants`: the live grants of the hosts that list this approver's key. */
  private async readGrants(): Promise<FleetGrants> {
    const data = (await this.call('GET', '/v1/fleet/grants')) as { grants?: unknown };
    const views: RequestView[] = [];
    const infos: unknown[] = [];
    const hosts = new Map<string, string>();
    let dropped = 0;
    for (const r of Array.isArray(data.grants)
      ? (data.grants as { host?: unknown; view?: unknown; grant?: unknown }[])
      : []) {
      const view = parseView(r.view);
      // the offer as the hub relayed it from the host; parseGrants checks its shape
      const offer = (r.view as { extendOffer?: unknown } | undefined)?.extendOffer;
      const grant = r.grant as { usesLeft?: unknown; expiresAt?: unknown; scope?: unknown } | undefined;
      const info =
        view === undefined || grant === undefined
          ? undefined
          : parseGrants({
              grants: [
                {
                  requestId: view.id,
                  usesLeft: grant.usesLeft,
                  expiresAt: grant.expiresAt,
                  ...(typeof grant.scope === 'string' ? { scope: grant.scope } : {}),
                  ...(offer === undefined ? {} : { extendOffer: offer }),
                },
              ],
            });
      if (view === undefined || typeof r.host !== 'string' || info === undefined) {
        dropped++;
        continue;
      }
      hosts.set(view.id, r.host);
      views.push({ ...view, fleetHost: r.host } as RequestView);
      infos.push(...info);
    }
    this.grantHosts = hosts;
    return { views, grants: infos as GrantInfo[], hosts, dropped };
  }

  /** The live grants as the hub lists them now (the extension menu reads the current offer). */
  async grants(): Promise<GrantInfo[]> {
    return (await this.readGrants()).grants;
  }

  /**
   * An extension relayed by the hub (`POST /v1/fleet/grants`, decision 1103): the hub knows this
   * approver by the key that opened the session and signs the action for the host, whose daemon
   * applies it through its channel path, with its own checks and record.
   */
  /** Not offered through the hub: an agent session is one host's, and the hub relays one decision at a time. */
  decideBatch(intent: BatchIntent): Promise<BatchOutcome> {
    return Promise.reject(
      new DecisionError(
        `not sent: batch review is not offered through the hub; decide ${intent.requestId} alone, or run \`guard approve --session ${intent.session}\` on its host`,
        false,
      ),
    );
  }

  async extend(intent: ExtendIntent): Promise<string> {
    const host = this.hostOfGrant(intent.requestId);
    await this.relayGrant({ host, requestId: intent.requestId, action: 'extend', from: intent.from, to: intent.to });
    return `extension of ${intent.requestId} on ${host} to ${grantText(intent.to)} relayed as ${this.session.name}; the host's daemon checks it`;
  }

  async revoke(intent: RevokeIntent): Promise<string> {
    const host = this.hostOfGrant(intent.requestId);
    await this.relayGrant({ host, requestId: intent.requestId, action: 'revoke' });
    return `revocation of ${intent.requestId} on ${host} relayed as ${this.session.name}; the host's daemon applies it`;
  }

  private hostOfGrant(requestId: string): string {
    const host = this.grantHosts.get(requestId);
    if (host === undefined) throw new DecisionError(`not sent: ${requestId} has no live grant on the hub`, false);
    return host;
  }

  private async relayGrant(body: object): Promise<void> {
    try {
      await this.call('POST', '/v1/fleet/grants', body);
    } catch (err) {
      throw new DecisionError(`not sent: ${messageOf(err)}`, false);
    }
  }

  history(): Promise<HistoryItem[]> {
    return Promise.reject(
      new Error('history is kept by each host: run `guard tui` on the host, or `guard hub export`'),
    );
  }

  record(): Promise<HistoryItem[]> {
    return Promise.reject(new Error('the record chain is kept by each host: run `guard tui` on the host'));
  }
}
