/**
 * The web approval page's state: signed-in sessions (bound to the IdP subject and the enrolled
 * approver it maps to) and sign-ins under way (keyed by the OAuth `state`, each usable once). The
 * daemon keeps them in memory (`WebSessions`: bounded, expired entries dropped as new ones arrive);
 * the hub keeps them in PostgreSQL for all its replicas (src/hub/web-sessions.ts, decision 1075).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { GrantRequest } from '../approval/scope.js';

export interface Session {
  id: string;
  subject: string;
  issuer: string;
  approver: string;
  /** The CSRF token every form of this session carries. */
  csrf: string;
  expires: number;
}

export type LoginPurpose =
  | { kind: 'sign-in' }
  | { kind: 'step-up'; session: string; requestId: string; viewHash: string; grant?: GrantRequest | undefined };

export interface PendingLogin {
  state: string;
  /** sha256 of the random value set as a cookie on the browser that started the sign-in. */
  browserDigest: string;
  verifier: string;
  nonce: string;
  purpose: LoginPurpose;
  expires: number;
}

/** A new sign-in: the record, and the browser cookie's value (kept by no store, only its digest). */
export type StartedLogin = PendingLogin & { browser: string };

/** Where a page keeps its sign-ins, sessions and used ID tokens. */
export interface SessionStore {
  startLogin(purpose: LoginPurpose, verifier: string, nonce: string): StartedLogin | Promise<StartedLogin>;
  /** The sign-in under way for `state`, removed: a callback is accepted once. */
  takeLogin(state: string | null): PendingLogin | undefined | Promise<PendingLogin | undefined>;
  /** Remembers a token hash; false when it was seen before (replay). */
  firstUse(hash: string): boolean | Promise<boolean>;
  create(subject: string, issuer: string, approver: string): Session | Promise<Session>;
  get(id: string | undefined): Session | undefined | Promise<Session | undefined>;
  end(id: string | undefined): void | Promise<void>;
}

const MAX_ENTRIES = 1000;
export const LOGIN_MS = 10 * 60_000;

export const token = (): string => randomBytes(32).toString('base64url');

/** sha256 hex of a secret: what a store keeps instead of it (undefined stays undefined). */
export function digest(secret: string): string;
export function digest(secret: string | undefined): string | undefined;
export function digest(secret: string | undefined): string | undefined {
  return secret === undefined ? undefined : createHash('sha256').update(secret).digest('hex');
}

/** Constant-time equality of two strings (false when either is missing). */
export function sameSecret(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function prune<T extends { expires: number }>(m: Map<string, T>, now: number): void {
  for (const [k, v] of m) if (v.expires <= now) m.delete(k);
  // still full: the oldest go first (Map keeps insertion order)
  for (const k of m.keys()) {
    if (m.size < MAX_ENTRIES) break;
    m.delete(k);
  }
}

export class WebSessions implements SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly logins = new Map<string, PendingLogin>();
  /** sha256 of ID tokens already used to sign in or approve: each is accepted once. */
  private readonly used = new Map<string, { expires: number }>();

  constructor(
    private readonly sessionMs: number,
    private readonly now: () => number,
  ) {}

  startLogin(purpose: LoginPurpose, verifier: string, nonce: string): StartedLogin {
    const now = this.now();
    prune(this.logins, now);
    const browser = token();
    const login = { state: token(), browserDigest: digest(browser), verifier, nonce, purpose, expires: now + LOGIN_MS };
    this.logins.set(login.state, login);
    return { ...login, browser };
  }

  /** The sign-in under way for `state`, removed: a callback is accepted once. */
  takeLogin(state: string | null): PendingLogin | undefined {
    if (state === null) return undefined;
    const login = this.logins.get(state);
    this.logins.delete(state);
    return login !== undefined && login.expires > this.now() ? login : undefined;
  }

  /** Remembers a token hash; false when it was seen before (replay). */
  firstUse(hash: string): boolean {
    const now = this.now();
    prune(this.used, now);
    if (this.used.has(hash)) return false;
    this.used.set(hash, { expires: now + 24 * 3_600_000 });
    return true;
  }

  create(subject: string, issuer: string, approver: string): Session {
    const now = this.now();
    prune(this.sessions, now);
    const s = { id: token(), subject, issuer, approver, csrf: token(), expires: now + this.sessionMs };
    this.sessions.set(s.id, s);
    return s;
  }

  get(id: string | undefined): Session | undefined {
    if (id === undefined) return undefined;
    const s = this.sessions.get(id);
    return s !== undefined && s.expires > this.now() ? s : undefined;
  }

  end(id: string | undefined): void {
    if (id !== undefined) this.sessions.delete(id);
  }
}
