/**
 * The web approval page served by the hub (decision 1068): the daemon's own page (src/web/), mounted
 * on the hub's HTTP server under /approve, signing in with the hub's IdP (code + PKCE). An approver
 * sees the open requests of every host that enrolled an approver with the signed-in IdP subject
 * (hosts distribute their approvers' subjects with their keys, migration 6). A decision becomes a
 * vote signed with the hub's vote key, like a Slack click, whose identity is the IdP subject
 * (channel `hub-web`, verifiedBy `hub+idp:<issuer>`); the host's daemon maps it to the approver
 * enrolled with that subject or refuses and records it. Step-up approvals are not taken here.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PageHandler } from '../channels/http-listener.js';
import type { ChannelDecision, ChannelIdentity, PendingRequest, RequestView } from '../channels/types.js';
import type { IdentityConfig } from '../identity/config.js';
import { HUB_WEB } from '../request/vote.js';
import { canonicalBytes } from '../util/canonical.js';
import { WEB_PREFIX, WebApprovalChannel, type WebSource } from '../web/channel.js';
import { HUB_ID, hubView, voteScope } from './slack-owner.js';
import type { HubStore } from './store.js';
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

  /** A hub-signed vote for the request's host, if that host enrolled this subject; else the refusal. */
  async decide(d: ChannelDecision): Promise<string | null> {
    const m = HUB_ID.exec(d.requestId);
    const subject = this.subject(d.identity);
    if (m === null) return `unknown request ${d.requestId}`;
    if (subject === undefined) return 'not signed in with the identity provider of this hub';
    const [, requestId, hostName] = m as unknown as [string, string, string];
    const listed = await this.store.pool.query(
      `SELECT 1 FROM requests r JOIN hosts h ON h.id = r.host_id
       WHERE h.name = $3 AND r.request_id = $4 AND ${OPEN} AND ${LISTED}`,
      [subject, this.issuer, hostName, requestId],
    );
    if (listed.rowCount === 0) return `no open request ${requestId} of host ${hostName} that you may decide`;
    const refusal = await this.store.addVote(
      hostName,
      requestId,
      {
        action: d.action,
        identity: { channel: HUB_WEB, id: subject, display: d.identity.display, verifiedBy: `hub+idp:${this.issuer}` },
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
  await channel.start({
    decide: async (d) => {
      try {
        return await source.decide(d);
      } catch (err) {
        log('error', `recording a web page vote failed: ${(err as Error).message}`);
        return 'the hub cannot record this decision right now; try again in a moment';
      }
    },
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
