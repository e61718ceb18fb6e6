/**
 * The hub web page's sign-ins, sessions and used ID tokens, in PostgreSQL (migration 7, decision
 * 1075), so any replica serves any request and a replica restart signs nobody out. Only digests of
 * the secrets the browser holds are stored (session id, sign-in `state`, the sign-in's browser
 * cookie, ID tokens): a reader of the database cannot ride a session. The CSRF token is derived
 * from the session id (another domain of sha256), so it is not stored either. Expiry is part of
 * every query, on the database's clock; expired rows are pruned as new ones are written.
 */
import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import {
  digest,
  LOGIN_MS,
  token,
  type LoginPurpose,
  type PendingLogin,
  type Session,
  type SessionStore,
  type StartedLogin,
} from '../web/sessions.js';

/** Sign-ins under way kept at most (an unauthenticated visitor can start them): the oldest go first. */
const MAX_LOGINS = 10_000;
/** How long a used ID token is remembered (longer than any ID token lives). */
const USED_MS = 24 * 3_600_000;

/** The session's CSRF token: derived from its id, so neither is in the database. */
export function csrfOf(sessionId: string): string {
  return createHash('sha256').update('guard-web-csrf-v1\n').update(sessionId).digest('base64url');
}

const ms = (t: Date | string): number => new Date(t).getTime();

export class PgWebSessions implements SessionStore {
  constructor(
    private readonly pool: Pool,
    private readonly sessionMs: number,
  ) {}

  async startLogin(purpose: LoginPurpose, verifier: string, nonce: string): Promise<StartedLogin> {
    // a step-up purpose names a session id, which must not be stored; the hub's page takes none
    if (purpose.kind !== 'sign-in') throw new Error("the hub's web page takes no step-up sign-ins");
    const state = token();
    const browser = token();
    const r = await this.pool.query<{ expires_at: Date }>(
      `WITH pruned AS (DELETE FROM web_logins WHERE expires_at <= now()),
            oldest AS (DELETE FROM web_logins WHERE state_sha256 IN
              (SELECT state_sha256 FROM web_logins ORDER BY expires_at DESC OFFSET $6))
       INSERT INTO web_logins (state_sha256, browser_sha256, verifier, nonce, purpose, expires_at)
       VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $7)) RETURNING expires_at`,
      [digest(state), digest(browser), verifier, nonce, JSON.stringify(purpose), MAX_LOGINS - 1, LOGIN_MS / 1000],
    );
    return {
      state,
      browser,
      browserDigest: digest(browser),
      verifier,
      nonce,
      purpose,
      expires: ms(r.rows[0]!.expires_at),
    };
  }

  async takeLogin(state: string | null): Promise<PendingLogin | undefined> {
    if (state === null) return undefined;
    // removed whether or not it expired: a callback is accepted once, by one replica
    const r = await this.pool.query<{
      browser_sha256: string;
      verifier: string;
      nonce: string;
      purpose: LoginPurpose;
      expires_at: Date;
      live: boolean;
    }>(
      `DELETE FROM web_logins WHERE state_sha256 = $1
       RETURNING browser_sha256, verifier, nonce, purpose, expires_at, expires_at > now() AS live`,
      [digest(state)],
    );
    const row = r.rows[0];
    if (row === undefined || !row.live) return undefined;
    return {
      state,
      browserDigest: row.browser_sha256,
      verifier: row.verifier,
      nonce: row.nonce,
      purpose: row.purpose,
      expires: ms(row.expires_at),
    };
  }

  async firstUse(hash: string): Promise<boolean> {
    const r = await this.pool.query(
      `WITH pruned AS (DELETE FROM web_used_tokens WHERE expires_at <= now())
       INSERT INTO web_used_tokens (token_sha256, expires_at) VALUES ($1, now() + make_interval(secs => $2))
       ON CONFLICT (token_sha256) DO NOTHING`,
      [hash, USED_MS / 1000],
    );
    return r.rowCount === 1;
  }

  async create(subject: string, issuer: string, approver: string): Promise<Session> {
    const id = token();
    const r = await this.pool.query<{ expires_at: Date }>(
      `WITH pruned AS (DELETE FROM web_sessions WHERE expires_at <= now())
       INSERT INTO web_sessions (id_sha256, subject, issuer, approver, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) RETURNING expires_at`,
      [digest(id), subject, issuer, approver, this.sessionMs / 1000],
    );
    return { id, subject, issuer, approver, csrf: csrfOf(id), expires: ms(r.rows[0]!.expires_at) };
  }

  async get(id: string | undefined): Promise<Session | undefined> {
    if (id === undefined || id === '') return undefined;
    const r = await this.pool.query<{ subject: string; issuer: string; approver: string; expires_at: Date }>(
      `SELECT subject, issuer, approver, expires_at FROM web_sessions WHERE id_sha256 = $1 AND expires_at > now()`,
      [digest(id)],
    );
    const row = r.rows[0];
    if (row === undefined) return undefined;
    return {
      id,
      subject: row.subject,
      issuer: row.issuer,
      approver: row.approver,
      csrf: csrfOf(id),
      expires: ms(row.expires_at),
    };
  }

  async end(id: string | undefined): Promise<void> {
    if (id !== undefined) await this.pool.query(`DELETE FROM web_sessions WHERE id_sha256 = $1`, [digest(id)]);
  }
}
