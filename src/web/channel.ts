/**
 * The web approval page (docs/identity.md): served under /approve by the daemon's HTTP listener.
 * Sign-in is the IdP's authorization code + PKCE; the session cookie (HttpOnly, SameSite=Strict,
 * Secure over https) is bound to the IdP subject, which must map to exactly one enrolled approver.
 * Every form carries the session's CSRF token and the hash of the view it was shown; decisions go
 * to the daemon as channel decisions of identity `web` / IdP subject, and approvals of step-up
 * rules first take a fresh login (max_age=0) whose nonce names the request and that view.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as oidc from 'openid-client';
import type { IdentityConfig } from '../identity/config.js';
import { requireIdentity } from '../identity/load.js';
import { configuration } from '../identity/login.js';
import { cachedIdentityMetadata, refreshIdentityMetadata, type IdentityMetadata } from '../identity/metadata.js';
import { stepUpNonce, tokenHash } from '../identity/nonce.js';
import { checkIdToken } from '../identity/verify.js';
import { BodyTooLargeError, readBody } from '../channels/http.js';
import type { HttpListener } from '../channels/http-listener.js';
import type {
  Channel,
  ChannelHost,
  ChannelIdentity,
  LiveGrant,
  PendingRequest,
  RequestView,
} from '../channels/types.js';
import { continuePage, detailPage, esc, layout, listPage, message, sessionPage, signInPage, STYLE } from './html.js';
import { batchExclusion, batchReason } from '../approval/batch.js';
import { grantOfToken, ONCE } from '../channels/scope-choice.js';
import { digest, sameSecret, WebSessions, type LoginPurpose, type Session, type SessionStore } from './sessions.js';

export const WEB_PREFIX = '/approve';
const SESSION_COOKIE = 'guard_session';
const LOGIN_COOKIE = 'guard_login';
const MAX_FORM_BYTES = 16 * 1024;
const MAX_TEXT = 2000;

export interface WebApprovalOptions {
  /** Where the page is mounted: the daemon's HTTP listener, or the hub's own server. */
  listener: Pick<HttpListener, 'mount' | 'unmount' | 'baseUrl'>;
  env: NodeJS.ProcessEnv;
  sessionMinutes: number;
  now?: () => number;
  /** The IdP to sign in with; by default the `identity:` section of GUARD_HOME/config.yaml. */
  identity?: { cfg: IdentityConfig; home: string } | undefined;
  /** Where the requests come from when the page is not the daemon's own (the hub: per approver). */
  source?: WebSource | undefined;
  /** Where sign-ins and sessions are kept; by default this process's memory (the hub: PostgreSQL). */
  sessions?: SessionStore | undefined;
}

/** The requests of a page served away from the daemon (the hub, decision 1068), per signed-in approver. */
export interface WebSource {
  /** The open requests this IdP identity may decide. */
  pending(who: ChannelIdentity): Promise<PendingRequest[]>;
  /** The approver name(s) to show for this IdP identity; undefined when no host enrolled it. */
  whoIs(who: ChannelIdentity): Promise<string | undefined>;
  /** Shown instead of an Approve button on a step-up request: this page cannot take that approval. */
  stepUpElsewhere: string;
  /** The live grants this IdP identity may extend or revoke (decision 1103); none when absent. */
  grants?(who: ChannelIdentity): Promise<LiveGrant[]>;
}

export class WebApprovalChannel implements Channel {
  readonly name = 'web';
  private host: ChannelHost | undefined;
  private cfg: IdentityConfig | undefined;
  private home = '';
  private readonly sessions: SessionStore;
  private readonly now: () => number;

  constructor(private readonly opts: WebApprovalOptions) {
    this.now = opts.now ?? Date.now;
    this.sessions = opts.sessions ?? new WebSessions(opts.sessionMinutes * 60_000, this.now);
  }

  async start(host: ChannelHost): Promise<void> {
    // no IdP configured: the channel fails to start (recorded), the page is never served
    const { cfg, home } = this.opts.identity ?? requireIdentity(this.opts.env);
    this.cfg = cfg;
    this.home = home;
    this.host = host;
    await this.opts.listener.mount(WEB_PREFIX, (req, res, base) => this.serve(req, res, base));
    host.log({ channel: this.name, level: 'info', message: `web approval page at ${this.pageUrl()}` });
  }

  notify(_request: RequestView): Promise<void> {
    return Promise.resolve();
  }

  update(_request: RequestView): Promise<void> {
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    await this.opts.listener.unmount(WEB_PREFIX);
  }

  status(): { ok: boolean; detail: string } {
    const url = this.pageUrl();
    return url === undefined ? { ok: false, detail: 'not listening' } : { ok: true, detail: `serving ${url}` };
  }

  approvalUrl(requestId: string): string | undefined {
    const url = this.pageUrl();
    return url === undefined ? undefined : `${url}r/${encodeURIComponent(requestId)}`;
  }

  /** The open requests this session may decide. */
  private async pending(s: Session): Promise<PendingRequest[]> {
    const source = this.opts.source;
    return source === undefined ? (this.host?.pending?.() ?? []) : source.pending(this.identity(s));
  }

  /**
   * The session behind this cookie, only while its IdP subject still maps to an enrolled approver:
   * checked on every page and form, so a removed approver's session ends at their next step (the
   * page then shows neither requests nor grants), and a renamed mapping shows the current name.
   */
  private async liveSession(id: string | undefined): Promise<Session | undefined> {
    const s = await this.sessions.get(id);
    if (s === undefined) return undefined;
    const approver = await this.whoIs(this.identity(s));
    if (approver === undefined) {
      await this.sessions.end(s.id);
      this.host?.log({
        channel: this.name,
        level: 'warn',
        message: `session of ${s.approver} ended: the IdP subject is no longer an enrolled approver`,
      });
      return undefined;
    }
    return approver === s.approver ? s : { ...s, approver };
  }

  private async whoIs(who: ChannelIdentity): Promise<string | undefined> {
    return this.opts.source === undefined ? this.host?.whoIs?.(who) : this.opts.source.whoIs(who);
  }

  private pageUrl(): string | undefined {
    const base = this.opts.listener.baseUrl();
    return base === undefined ? undefined : `${base}${WEB_PREFIX}/`;
  }

  private async serve(req: IncomingMessage, res: ServerResponse, base: string): Promise<void> {
    try {
      await this.route(req, res, base);
    } catch (err) {
      send(
        res,
        500,
        message('Error', `internal error: ${err instanceof Error ? err.message : String(err)}`, { error: true }),
        base,
      );
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, base: string): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const path = url.pathname;
    const session = await this.liveSession(cookies(req)[SESSION_COOKIE]);
    if (req.method === 'GET' && path === `${WEB_PREFIX}/style.css`) {
      res.writeHead(200, { ...securityHeaders(base, this.cfg), 'content-type': 'text/css; charset=utf-8' });
      res.end(STYLE);
      return;
    }
    if (req.method === 'GET' && path === `${WEB_PREFIX}/login`) return this.beginLogin(res, base, { kind: 'sign-in' });
    if (req.method === 'GET' && path === `${WEB_PREFIX}/callback`) return this.callback(req, res, base, url);
    if (req.method === 'GET' && (path === WEB_PREFIX || path === `${WEB_PREFIX}/`)) {
      if (session === undefined) return send(res, 200, signInPage(), base, this.cfg);
      const pending = (await this.pending(session)).map((p) => p.detail);
      const source = this.opts.source;
      const grants =
        source === undefined ? (this.host?.grants?.() ?? []) : ((await source.grants?.(this.identity(session))) ?? []);
      // the batch page is the daemon's own (decision 1113); the hub's page decides one request at a time
      const batches = source === undefined;
      return send(res, 200, listPage(session.approver, pending, session.csrf, grants, batches), base, this.cfg);
    }
    const m = new RegExp(`^${WEB_PREFIX}/r/([^/]+)$`).exec(path);
    if (m !== null && req.method === 'GET') {
      if (session === undefined) return redirect(res, `${WEB_PREFIX}/`, base, this.cfg!);
      const id = decodeURIComponent(m[1]!);
      const p = (await this.pending(session)).find((x) => x.detail.view.id === id);
      if (p === undefined)
        return send(
          res,
          404,
          message('Not waiting', `request ${id} is not waiting for a decision`, { link: `${WEB_PREFIX}/` }),
          base,
          this.cfg,
        );
      return send(
        res,
        200,
        detailPage(session.approver, p.detail, p.viewHash, session.csrf, this.now(), this.opts.source?.stepUpElsewhere),
        base,
        this.cfg,
      );
    }
    const b = new RegExp(`^${WEB_PREFIX}/s/([^/]+)$`).exec(path);
    if (b !== null && this.opts.source === undefined && (req.method === 'GET' || req.method === 'POST')) {
      if (req.method === 'GET' && session === undefined) return redirect(res, `${WEB_PREFIX}/`, base, this.cfg!);
      const form = req.method === 'POST' ? await this.checkedForm(req, res, base, session) : undefined;
      if (session === undefined || (req.method === 'POST' && form === undefined)) return;
      return this.sessionBatch(res, base, session, decodeURIComponent(b[1]!), form);
    }
    const g = new RegExp(`^${WEB_PREFIX}/g/([^/]+)$`).exec(path);
    if (req.method === 'POST' && g !== null) {
      const form = await this.checkedForm(req, res, base, session);
      if (form === undefined || session === undefined) return;
      return this.changeGrant(res, base, session, decodeURIComponent(g[1]!), form);
    }
    if (req.method === 'POST' && (m !== null || path === `${WEB_PREFIX}/logout`)) {
      const form = await this.checkedForm(req, res, base, session);
      if (form === undefined || session === undefined) return;
      if (m === null) {
        await this.sessions.end(session.id);
        res.setHeader('set-cookie', cookie(SESSION_COOKIE, '', base, 'Strict', 0));
        return send(res, 200, message('Signed out', 'You are signed out.'), base, this.cfg);
      }
      return this.decide(res, base, session, decodeURIComponent(m[1]!), form);
    }
    send(
      res,
      req.method === 'GET' || req.method === 'POST' ? 404 : 405,
      message('Not found', 'no such page'),
      base,
      this.cfg,
    );
  }

  /**
   * A form post counts only from a signed-in session, with that session's CSRF token, sent by this
   * origin (Origin and Sec-Fetch-Site, where the browser sends them). Refused otherwise.
   */
  private async checkedForm(
    req: IncomingMessage,
    res: ServerResponse,
    base: string,
    session: Session | undefined,
  ): Promise<URLSearchParams | undefined> {
    const refuse = (status: number, why: string): undefined => {
      this.host?.log({ channel: this.name, level: 'warn', message: `form refused: ${why}` });
      send(res, status, message('Refused', why, { error: true, link: `${WEB_PREFIX}/` }), base, this.cfg);
      return undefined;
    };
    if (session === undefined) return refuse(401, 'not signed in (the session expired or ended); sign in again');
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== new URL(base).origin)
      return refuse(403, 'the form was not sent by this page (cross-site request refused)');
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin')
      return refuse(403, 'the form was not sent by this page (cross-site request refused)');
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded'))
      return refuse(415, 'a form post is expected');
    let body: string;
    try {
      body = await readBody(req, MAX_FORM_BYTES);
    } catch (err) {
      res.setHeader('connection', 'close');
      return refuse(err instanceof BodyTooLargeError ? 413 : 400, 'the form could not be read');
    }
    const form = new URLSearchParams(body);
    if (!sameSecret(form.get('csrf') ?? undefined, session.csrf))
      return refuse(403, 'the form carries no valid CSRF token for this session (cross-site request refused)');
    return form;
  }

  private async decide(
    res: ServerResponse,
    base: string,
    session: Session,
    requestId: string,
    form: URLSearchParams,
  ): Promise<void> {
    const back = { link: `${WEB_PREFIX}/` };
    const action = form.get('action');
    if (action !== 'approve' && action !== 'deny' && action !== 'ask')
      return send(res, 400, message('Refused', 'unknown action', { error: true, ...back }), base, this.cfg);
    const text = (form.get(action === 'deny' ? 'reason' : 'question') ?? '').trim();
    if (action !== 'approve' && (text === '' || text.length > MAX_TEXT))
      return send(
        res,
        400,
        message(
          'Refused',
          `${action === 'deny' ? 'a reason' : 'a question'} of 1 to ${MAX_TEXT} characters is required`,
          {
            error: true,
            ...back,
          },
        ),
        base,
        this.cfg,
      );
    const p = (await this.pending(session)).find((x) => x.detail.view.id === requestId);
    if (p === undefined)
      return send(
        res,
        410,
        message('Not waiting', `request ${requestId} is not waiting for a decision`, back),
        base,
        this.cfg,
      );
    if (form.get('view') !== p.viewHash)
      return send(
        res,
        409,
        message('Changed', `request ${requestId} changed since it was shown; look at it again before deciding`, {
          error: true,
          link: `${WEB_PREFIX}/r/${encodeURIComponent(requestId)}`,
        }),
        base,
        this.cfg,
      );
    // the scope picked (decision 1089): rebuilt against the request, its bounds checked by the daemon
    const chosen = action === 'approve' ? grantOfToken(p.detail.view, form.get('scope') ?? ONCE) : undefined;
    if (chosen?.ok === false) {
      this.host?.log({ channel: this.name, level: 'warn', message: `scope choice refused: ${chosen.reason}` });
      return send(res, 400, message('Refused', chosen.reason, { error: true, ...back }), base, this.cfg);
    }
    const grant = chosen?.grant === undefined ? {} : { grant: chosen.grant };
    const elsewhere = this.opts.source?.stepUpElsewhere;
    if (action === 'approve' && p.detail.stepUp === true && elsewhere !== undefined)
      return send(res, 409, message('Refused', elsewhere, { error: true, ...back }), base, this.cfg);
    if (action === 'approve' && p.detail.stepUp === true)
      return this.beginLogin(
        res,
        base,
        { kind: 'step-up', session: session.id, requestId, viewHash: p.viewHash, ...grant },
        p.detail.fingerprint,
      );
    const refusal = await this.host!.decide({
      requestId,
      action,
      identity: this.identity(session),
      ...(action === 'deny' ? { reason: text } : action === 'ask' ? { question: text } : {}),
      ...grant,
    });
    this.result(res, base, requestId, action, refusal);
  }

  /**
   * The batch page of one agent session (decision 1113). GET shows its open requests in full; a
   * POST (already checked: session, origin, CSRF) names the requests shown and each one's view
   * hash. Every named request must still be of this session with the view shown, else nothing is
   * decided; then each becomes its own channel decision, checked by the daemon exactly as a single
   * one (eligibility, self-approval, quorum). A request no longer waiting is named, not decided; a
   * step-up request is never approved here (it needs its own fresh login).
   */
  private async sessionBatch(
    res: ServerResponse,
    base: string,
    session: Session,
    agentSession: string,
    form: URLSearchParams | undefined,
  ): Promise<void> {
    const page = `${WEB_PREFIX}/s/${encodeURIComponent(agentSession)}`;
    const refuse = (status: number, title: string, why: string): void =>
      send(res, status, message(title, why, { error: true, link: `${WEB_PREFIX}/` }), base, this.cfg);
    const pending = (await this.pending(session)).filter((p) => p.detail.view.session === agentSession);
    if (form === undefined) {
      if (pending.length === 0)
        return refuse(404, 'Not waiting', `no request of agent session ${agentSession} is waiting for a decision`);
      return send(
        res,
        200,
        sessionPage(session.approver, agentSession, pending, session.csrf, this.now()),
        base,
        this.cfg,
      );
    }
    const action = form.get('action');
    if (action !== 'approve' && action !== 'deny') return refuse(400, 'Refused', 'unknown action');
    const text = (form.get('reason') ?? '').trim();
    if (action === 'deny' && (text === '' || text.length > MAX_TEXT))
      return refuse(400, 'Refused', `a reason of 1 to ${MAX_TEXT} characters is required`);
    const ids = [...new Set(form.getAll('r'))];
    if (ids.length === 0 || ids.length > 500) return refuse(400, 'Refused', 'the form names no request');
    const results: { id: string; text: string }[] = [];
    const decide: PendingRequest[] = [];
    for (const id of ids) {
      const p = pending.find((x) => x.detail.view.id === id);
      if (p === undefined) {
        results.push({ id, text: `not decided: not waiting for a decision in agent session ${agentSession}` });
        continue;
      }
      // the view shown: a request changed since is a batch the approver did not see, so none is decided
      if (form.get(`v:${id}`) !== p.viewHash)
        return send(
          res,
          409,
          message('Changed', `request ${id} changed since it was shown; nothing was decided. Look at them again.`, {
            error: true,
            link: page,
          }),
          base,
          this.cfg,
        );
      const why = batchExclusion(p.detail, action, agentSession);
      if (why === undefined) decide.push(p);
      else results.push({ id, text: `not decided: ${why}` });
    }
    const reason = batchReason(action, decide.length, agentSession, action === 'deny' ? text : undefined);
    for (const p of decide) {
      const refusal = await this.host!.decide({
        requestId: p.detail.view.id,
        action,
        identity: this.identity(session),
        reason,
      });
      results.push({ id: p.detail.view.id, text: refusal === null ? `recorded (${action})` : `refused: ${refusal}` });
    }
    const done = results.filter((r) => r.text.startsWith('recorded')).length;
    const rows = results.map((r) => `<li id="res-${esc(r.id)}"><strong>${esc(r.id)}</strong>: ${esc(r.text)}</li>`);
    send(
      res,
      done === 0 ? 403 : 200,
      layout(
        'guard batch',
        `<h1>${done === 0 ? 'Refused' : 'Recorded'}</h1><p class="msg" id="outcome">${done} of ${ids.length} ${action === 'approve' ? 'approvals' : 'denials'} of agent session ${esc(agentSession)} recorded, each as its own vote.</p><ul>${rows.join('')}</ul><p><a href="${WEB_PREFIX}/">Back to the pending requests</a></p>`,
      ),
      base,
      this.cfg,
    );
  }

  /**
   * Extend (decision 1092: exactly the Slack extension path, the grant as shown and as it should
   * become, checked in full by the daemon) or revoke (decision 1093) a grant from the page.
   */
  private async changeGrant(
    res: ServerResponse,
    base: string,
    session: Session,
    requestId: string,
    form: URLSearchParams,
  ): Promise<void> {
    const back = { link: `${WEB_PREFIX}/` };
    const action = form.get('action');
    const host = this.host!;
    let refusal: string | null;
    if (action === 'extend' && host.extend !== undefined) {
      const state = (uses: string, expires: string) => ({
        usesLeft: Number(form.get(uses) ?? ''),
        expiresAt: form.get(expires) ?? '',
      });
      refusal = await host.extend({
        requestId,
        identity: this.identity(session),
        from: state('from_uses', 'from_expires'),
        to: state('to_uses', 'to_expires'),
      });
    } else if (action === 'revoke' && host.revoke !== undefined) {
      refusal = await host.revoke({ requestId, identity: this.identity(session) });
    } else return send(res, 400, message('Refused', 'unknown action', { error: true, ...back }), base, this.cfg);
    if (refusal !== null) return send(res, 403, message('Refused', refusal, { error: true, ...back }), base, this.cfg);
    const done = action === 'extend' ? 'extension' : 'revocation';
    send(res, 200, message('Recorded', `Your ${done} of ${requestId} is recorded.`, back), base, this.cfg);
  }

  private identity(s: { subject: string; issuer: string; approver: string }): ChannelIdentity {
    return { channel: 'web', id: s.subject, display: s.approver, verifiedBy: `idp:${s.issuer}` };
  }

  private result(res: ServerResponse, base: string, requestId: string, action: string, refusal: string | null): void {
    const back = { link: `${WEB_PREFIX}/` };
    if (refusal !== null) return send(res, 403, message('Refused', refusal, { error: true, ...back }), base, this.cfg);
    const done = action === 'approve' ? 'approval' : action === 'deny' ? 'denial' : 'question';
    send(res, 200, message('Recorded', `Your ${done} of ${requestId} is recorded.`, back), base, this.cfg);
  }

  private async metadata(): Promise<IdentityMetadata | undefined> {
    const cfg = this.cfg!;
    return refreshIdentityMetadata(cfg, this.home).catch(() => cachedIdentityMetadata(cfg, this.home));
  }

  /** Sends the browser to the IdP: code + PKCE; for a step-up, max_age=0 and the request's nonce. */
  private async beginLogin(
    res: ServerResponse,
    base: string,
    purpose: LoginPurpose,
    fingerprint?: string,
  ): Promise<void> {
    const cfg = this.cfg!;
    const meta = await this.metadata();
    if (meta === undefined)
      return send(
        res,
        503,
        message('Unavailable', 'the identity provider cannot be reached', { error: true }),
        base,
        cfg,
      );
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce =
      purpose.kind === 'step-up' ? stepUpNonce(purpose.requestId, fingerprint!, purpose.viewHash) : oidc.randomNonce();
    const login = await this.sessions.startLogin(purpose, verifier, nonce);
    const params: Record<string, string> = {
      scope: cfg.scopes.join(' '),
      nonce,
      state: login.state,
      redirect_uri: `${base}${WEB_PREFIX}/callback`,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    };
    if (purpose.kind === 'step-up') {
      params['max_age'] = '0';
      params['prompt'] = 'login';
      if (cfg.acr_values !== undefined && cfg.acr_values.length > 0) params['acr_values'] = cfg.acr_values.join(' ');
    }
    const to = oidc.buildAuthorizationUrl(configuration(cfg, meta), params);
    res.setHeader('set-cookie', cookie(LOGIN_COOKIE, login.browser, base, 'Lax', 600));
    redirect(res, to.href, base, cfg);
  }

  private async callback(req: IncomingMessage, res: ServerResponse, base: string, url: URL): Promise<void> {
    const cfg = this.cfg!;
    const fail = (why: string): void => {
      this.host?.log({ channel: this.name, level: 'warn', message: `sign-in refused: ${why}` });
      send(res, 400, message('Sign-in refused', why, { error: true, link: `${WEB_PREFIX}/` }), base, cfg);
    };
    // each sign-in is answered once, in the browser that started it
    const login = await this.sessions.takeLogin(url.searchParams.get('state'));
    if (login === undefined) return fail('unknown, expired or already used sign-in (a replayed callback is refused)');
    if (!sameSecret(digest(cookies(req)[LOGIN_COOKIE]), login.browserDigest))
      return fail('this sign-in was started in another browser');
    const error = url.searchParams.get('error');
    if (error !== null) return fail(`the identity provider refused the sign-in: ${error.slice(0, 200)}`);
    const meta = await this.metadata();
    if (meta === undefined) return fail('the identity provider cannot be reached');
    let idToken: string;
    try {
      const tokens = await oidc.authorizationCodeGrant(configuration(cfg, meta), url, {
        pkceCodeVerifier: login.verifier,
        expectedState: login.state,
        expectedNonce: login.nonce,
        ...(login.purpose.kind === 'step-up' ? { maxAge: 0 } : {}),
      });
      if (typeof tokens.id_token !== 'string') return fail('the identity provider returned no ID token');
      idToken = tokens.id_token;
    } catch (err) {
      return fail(`the code exchange failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    const c = await checkIdToken({
      token: idToken,
      jwks: meta.jwks,
      issuer: cfg.issuer,
      clientId: cfg.client_id,
      nonce: login.nonce,
      at: new Date(this.now()),
      skewSeconds: cfg.max_clock_skew_seconds,
    });
    if (!c.ok) return fail(`the ID token does not verify: ${c.reason}`);
    if (!(await this.sessions.firstUse(tokenHash(idToken))))
      return fail('this ID token was already used (replay refused)');
    const spent = cookie(LOGIN_COOKIE, '', base, 'Lax', 0);
    res.setHeader('set-cookie', spent);
    if (login.purpose.kind === 'sign-in') {
      const who = { subject: c.claims.sub, issuer: cfg.issuer };
      const approver = await this.whoIs({ channel: 'web', id: who.subject, verifiedBy: `idp:${who.issuer}` });
      if (approver === undefined)
        return fail(`${c.claims.email ?? c.claims.sub} is not an enrolled approver of this guard (enrol with --idp)`);
      const s = await this.sessions.create(who.subject, who.issuer, approver);
      res.setHeader('set-cookie', [spent, cookie(SESSION_COOKIE, s.id, base, 'Strict', this.opts.sessionMinutes * 60)]);
      return send(res, 200, continuePage(`${WEB_PREFIX}/`), base, cfg);
    }
    const p = login.purpose;
    const session = await this.liveSession(p.session);
    if (session === undefined) return fail('the session that asked for this approval has ended; sign in again');
    const refusal = await this.host!.decide({
      requestId: p.requestId,
      action: 'approve',
      identity: this.identity(session),
      stepUp: { idToken, viewHash: p.viewHash },
      ...(p.grant === undefined ? {} : { grant: p.grant }),
    });
    this.result(res, base, p.requestId, 'approve', refusal);
  }
}

function cookies(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

function cookie(name: string, value: string, base: string, sameSite: 'Strict' | 'Lax', maxAge: number): string {
  const secure = new URL(base).protocol === 'https:' ? '; Secure' : '';
  return `${name}=${value}; Path=${WEB_PREFIX}; HttpOnly; SameSite=${sameSite}; Max-Age=${maxAge}${secure}`;
}

/** No script at all, styles only from this origin, forms only to this origin and the IdP. */
function securityHeaders(base: string, cfg: IdentityConfig | undefined): Record<string, string> {
  const idp = cfg === undefined ? '' : ` ${new URL(cfg.issuer).origin}`;
  return {
    'content-security-policy': `default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'${idp}; frame-ancestors 'none'; base-uri 'none'`,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'same-origin',
    'cache-control': 'no-store',
    ...(new URL(base).protocol === 'https:' ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  };
}

function send(res: ServerResponse, status: number, html: string, base: string, cfg?: IdentityConfig): void {
  if (res.headersSent) return;
  res.writeHead(status, { ...securityHeaders(base, cfg), 'content-type': 'text/html; charset=utf-8' });
  res.end(html);
}

function redirect(res: ServerResponse, to: string, base: string, cfg: IdentityConfig): void {
  res.writeHead(303, { ...securityHeaders(base, cfg), location: to });
  res.end();
}
