/**
 * The web approval page served by the hub (decision 1068): the daemon's own page (src/web/), mounted
 * on the hub's HTTP server under /approve, signing in with the hub's IdP (code + PKCE). An approver
 * sees the open requests of every host that enrolled an approver with the signed-in IdP subject
 * (hosts distribute their approvers' subjects with their keys, migration 6). A decision becomes a
 * vote signed with the hub's vote key, like a Slack click, whose identity is the IdP subject
 * (channel `hub-web`, verifiedBy `hub+idp:<issuer>`); the host's daemon maps it to the approver
 * enrolled with that subject or refuses and records it. Step-up approvals are not taken here.
 * Live grants of those hosts are listed with Extend and Revoke, sent as hub-signed grant actions
 * the host applies as its own page's (decision 1103).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PageHandler } from '../channels/http-listener.js';
import type { ChannelDecision, ChannelIdentity, LiveGrant, PendingRequest, RequestView } from '../channels/types.js';
import type { ChannelRevocation } from '../daemon/channel-revoke.js';
import type { ChannelExtension } from '../request/channel-extend.js';
import type { IdentityConfig } from '../identity/config.js';
import { HUB_WEB } from '../request/vote.js';
import { canonicalBytes } from '../util/canonical.js';
import { WEB_PREFIX, WebApprovalChannel, type WebSource } from '../web/channel.js';
import { HUB_ID, hubView, voteScope } from './slack-owner.js';
import type { HubStore } from './store.js';
import { addGrantAction, liveGrantsWhere } from './grants.js';
import { PgWebSessions } from './web-sessions.js';

export interface HubWebOptions {
  identity: { cfg: IdentityConfig; home: string };
  sessionMinutes: number;
  /** The page's public base URL (behind a proxy); by default the hub's own listening URL. */
  publicUrl?: string | undefined;
}

export interface HubWeb {
  /** True for the paths the page answers (under /approve). */
  owns(path: string): boolean;
  serve(req: IncomingMessage, res: ServerResponse): Promise<void>;
  stop(): Promise<void>;
}

const STEP_UP_ELSEWHERE =
  "This request's rule needs a fresh sign-in bound to the request, which the hub's page cannot carry to the host: approve it on the host's own web approval page or with `guard approve` there. You can deny it or ask a question here.";

const OPEN = `r.state IN ('pending', 'needs_info')`;
/** The hosts that enrolled an approver with this IdP subject and issuer ($1, $2). */
const LISTED = `EXISTS (SELECT 1 FROM host_approvers a WHERE a.host_id = r.host_id AND a.idp_subject = $1 AND a.idp_issuer = $2)`;

/** The requests and decisions of the hub's page, read from and written to PostgreSQL. */
class HubWebSource implements WebSource {
  readonly stepUpElsewhere = STEP_UP_ELSEWHERE;

  constructor(
    private readonly store: HubStore,
    private readonly votePem: string,
    private readonly issuer: string,
  ) {}

  /** The subject, when the identity is one the page's own sign-in verified with this issuer. */
  private subject(who: ChannelIdentity): string | undefined {
    return who.verifiedBy === `idp:${this.issuer}` ? who.id : undefined;
  }

  async pending(who: ChannelIdentity): Promise<PendingRequest[]> {
    const subject = this.subject(who);
    if (subject === undefined) return [];
    const r = await this.store.pool.query<{
      name: string;
      view: RequestView & { fingerprint?: string; stepUp?: true };
    }>(
      `SELECT h.name, r.view FROM requests r JOIN hosts h ON h.id = r.host_id
       WHERE ${OPEN} AND ${LISTED} ORDER BY r.rev LIMIT 1000`,
      [subject, this.issuer],
    );
    return r.rows.map(({ name, view }) => ({
      detail: {
        view: hubView(view, name),
        fingerprint: typeof view.fingerprint === 'string' ? view.fingerprint : '',
        votes: [],
        ...(view.stepUp === true ? { stepUp: true } : {}),
      },
      // what the forms name: a decision on a view that changed since it was shown is refused
      viewHash: createHash('sha256').update(canonicalBytes(view)).digest('hex'),
    }));
  }

  async whoIs(who: ChannelIdentity): Promise<string | undefined> {
    const subject = this.subject(who);
    if (subject === undefined) return undefined;
    const r = await this.store.pool.query<{ name: string }>(
      `SELECT DISTINCT a.name FROM host_approvers a WHERE a.idp_subject = $1 AND a.idp_issuer = $2 ORDER BY a.name`,
      [subject, this.issuer],
    );
    return r.rows.length === 0 ? undefined : r.rows.map((x) => x.name).join(', ');
  }

  /** The live grants of the hosts that enrolled this subject (decision 1103). */
  async grants(who: ChannelIdentity): Promise<LiveGrant[]> {
    const subject = this.subject(who);
    if (subject === undefined) return [];
    const live = await liveGrantsWhere(this.store, LISTED, [subject, this.issuer]);
    return live.map((g) => ({ view: hubView(g.view, g.hostName), grant: g.grant }));
  }

  /**
   * Extend or revoke a live grant (decision 1103): a hub-signed grant action for the request's host,
   * if that host enrolled this subject; the host checks it as its own page's and records it.
   */
  async changeGrant(
    action: 'extend' | 'revoke',
    e: { requestId: string; identity: ChannelIdentity; from?: unknown; to?: unknown },
  ): Promise<string | null> {
    const t = await this.target(e.requestId, e.identity, 'r.grant_until > now()', 'no live grant of');
    if (typeof t === 'string') return t;
    const refusal = await addGrantAction(
      this.store,
      {
        hostName: t.hostName,
        requestId: t.requestId,
        action,
        identity: this.hubIdentity(t.subject, e.identity),
        ...(action === 'extend' ? { from: e.from, to: e.to } : {}),
      },
      this.votePem,
    );
    return refusal ?? null;
  }

  /**
   * The request `<id>@<host>` names, when the signed-in subject may act on it (its host enrolled the
   * subject, and `condition` on `r` holds); else the refusal, `missing` naming what was not found.
   */
  private async target(
    id: string,
    who: ChannelIdentity,
    condition: string,
    missing: string,
  ): Promise<{ requestId: string; hostName: string; subject: string } | string> {
    const m = HUB_ID.exec(id);
    const subject = this.subject(who);
    if (m === null) return `unknown request ${id}`;
    if (subject === undefined) return 'not signed in with the identity provider of this hub';
    const [, requestId, hostName] = m as unknown as [string, string, string];
    const listed = await this.store.pool.query(
      `SELECT 1 FROM requests r JOIN hosts h ON h.id = r.host_id
       WHERE h.name = $3 AND r.request_id = $4 AND ${condition} AND ${LISTED}`,
      [subject, this.issuer, hostName, requestId],
    );
    if (listed.rowCount === 0) return `${missing} request ${requestId} of host ${hostName} that you may decide`;
    return { requestId, hostName, subject };
  }

  /** The identity a hub-signed vote names: the IdP subject, vouched for by the hub (decision 1068). */
  private hubIdentity(subject: string, who: ChannelIdentity): ChannelIdentity {
    return { channel: HUB_WEB, id: subject, display: who.display, verifiedBy: `hub+idp:${this.issuer}` };
  }

  /** A hub-signed vote for the request's host, if that host enrolled this subject; else the refusal. */
  async decide(d: ChannelDecision): Promise<string | null> {
    const t = await this.target(d.requestId, d.identity, OPEN, 'no open');
    if (typeof t === 'string') return t;
    const { requestId, hostName, subject } = t;
    const refusal = await this.store.addVote(
      hostName,
      requestId,
      {
        action: d.action,
        identity: this.hubIdentity(subject, d.identity),
        reason: d.reason,
        question: d.question,
        ...voteScope(d),
      },
      this.votePem,
    );
    return refusal ?? null;
  }
}

/** Starts the page; `baseUrl` is the hub's listening URL, used unless a public URL is configured. */
export async function startHubWeb(
  store: HubStore,
  votePem: string,
  opts: HubWebOptions,
  baseUrl: () => string,
  log: (level: 'info' | 'warn' | 'error', message: string) => void,
): Promise<HubWeb> {
  const source = new HubWebSource(store, votePem, opts.identity.cfg.issuer);
  let handler: PageHandler | undefined;
  const base = (): string => opts.publicUrl?.replace(/\/+$/, '') ?? baseUrl();
  const listener = {
    mount: (_prefix: string, h: PageHandler) => {
      handler = h;
      return Promise.resolve();
    },
    unmount: () => {
      handler = undefined;
      return Promise.resolve();
    },
    baseUrl: base,
  };
  const channel = new WebApprovalChannel({
    listener,
    env: {},
    sessionMinutes: opts.sessionMinutes,
    identity: opts.identity,
    source,
    // shared by every replica (decision 1075)
    sessions: new PgWebSessions(store.pool, opts.sessionMinutes * 60_000),
  });
  /** A vote or grant action the database could not take: logged, and the approver told to try again. */
  const guarded =
    <A extends unknown[]>(what: string, f: (...a: A) => Promise<string | null>) =>
    async (...a: A): Promise<string | null> => {
      try {
        return await f(...a);
      } catch (err) {
        log('error', `recording a web page ${what} failed: ${(err as Error).message}`);
        return 'the hub cannot record this decision right now; try again in a moment';
      }
    };
  await channel.start({
    decide: guarded('vote', (d: ChannelDecision) => source.decide(d)),
    extend: guarded('extension', (e: ChannelExtension) => source.changeGrant('extend', e)),
    revoke: guarded('revocation', (e: ChannelRevocation) => source.changeGrant('revoke', e)),
    log: (e) => log(e.level, `web page: ${e.message}`),
  });
  return {
    owns: (path) => path === WEB_PREFIX || path.startsWith(`${WEB_PREFIX}/`),
    async serve(req, res) {
      if (handler !== undefined) await handler(req, res, base());
      else res.writeHead(404).end();
    },
    stop: () => channel.stop(),
  };
}
