/**
 * Offline check of an ID token against a JWKS snapshot: signature, issuer, audience, nonce,
 * auth_time after a point in time, groups and (optionally) replay. Total: anything malformed is
 * a refusal with a code, never a throw. The clock is an argument, so a ledger verified years
 * later checks the token as of the approval.
 */
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { tokenHash } from './nonce.js';
import type { Jwks } from './metadata.js';

export type IdTokenRefusal =
  | 'malformed'
  | 'bad-signature'
  | 'wrong-issuer'
  | 'wrong-audience'
  | 'wrong-nonce'
  | 'stale-login'
  | 'expired'
  | 'wrong-subject'
  | 'not-in-group'
  | 'wrong-acr'
  | 'replayed';

export type IdTokenCheck =
  { ok: true; claims: IdClaims; hash: string } | { ok: false; code: IdTokenRefusal; reason: string };

export interface IdClaims {
  iss: string;
  sub: string;
  aud: string[];
  nonce: string;
  authTime: number | undefined;
  groups: string[];
  email: string | undefined;
  acr: string | undefined;
  iat: number;
}

export interface IdTokenExpectations {
  token: string;
  jwks: Jwks;
  issuer: string;
  clientId: string;
  nonce: string;
  /** The time the token is judged at (exp/iat); for a ledger, the approval time. */
  at: Date;
  /** auth_time must be at or after this (minus skew): the request's creation for step-up. */
  authAfter?: Date | undefined;
  skewSeconds?: number | undefined;
  /** The enrolled IdP subject the token must name. */
  subject?: string | undefined;
  groupsClaim?: string | undefined;
  /** At least one of these must be in the token's groups claim. */
  anyOfGroups?: string[] | undefined;
  acrValues?: string[] | undefined;
  /** True when this token (by hash) was already used. */
  seen?: ((hash: string) => boolean) | undefined;
}

const ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export async function checkIdToken(x: IdTokenExpectations): Promise<IdTokenCheck> {
  try {
    return await check(x);
  } catch (err) {
    return { ok: false, code: 'malformed', reason: `the ID token could not be checked: ${(err as Error).message}` };
  }
}

async function check(x: IdTokenExpectations): Promise<IdTokenCheck> {
  if (typeof x.token !== 'string' || x.token.length > 16_384 || x.token.split('.').length !== 3)
    return { ok: false, code: 'malformed', reason: 'not a signed JWT' };
  const skew = x.skewSeconds ?? 30;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(x.token, createLocalJWKSet(x.jwks as never), {
      algorithms: ALGS,
      currentDate: x.at,
      clockTolerance: skew,
    }));
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (code === 'ERR_JWT_EXPIRED') return { ok: false, code: 'expired', reason: 'the ID token had expired' };
    if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' || code === 'ERR_JWKS_NO_MATCHING_KEY')
      return { ok: false, code: 'bad-signature', reason: "the ID token is not signed by a key in the provider's JWKS" };
    return { ok: false, code: 'malformed', reason: `the ID token is invalid: ${(err as Error).message}` };
  }
  if (typeof payload['nonce'] !== 'string')
    return { ok: false, code: 'wrong-nonce', reason: 'the ID token carries no nonce, so it names no request or key' };
  const claims = readClaims(payload, x.groupsClaim ?? 'groups');
  if (claims === undefined) return { ok: false, code: 'malformed', reason: 'the ID token lacks iss, sub, aud or iat' };
  if (claims.iss !== x.issuer)
    return { ok: false, code: 'wrong-issuer', reason: `issued by ${claims.iss}, not the configured ${x.issuer}` };
  if (!claims.aud.includes(x.clientId) || (claims.aud.length > 1 && payload['azp'] !== x.clientId))
    return {
      ok: false,
      code: 'wrong-audience',
      reason: `issued for ${claims.aud.join(', ')}, not client ${x.clientId}`,
    };
  if (claims.nonce !== x.nonce)
    return {
      ok: false,
      code: 'wrong-nonce',
      reason: 'the login was made for another request, view or key (nonce differs)',
    };
  if (x.authAfter !== undefined) {
    const after = Math.floor(x.authAfter.getTime() / 1000) - skew;
    if (claims.authTime === undefined || !(claims.authTime >= after))
      return {
        ok: false,
        code: 'stale-login',
        reason: `the login (auth_time ${claims.authTime === undefined ? 'missing' : new Date(claims.authTime * 1000).toISOString()}) is older than ${x.authAfter.toISOString()}`,
      };
  }
  if (x.subject !== undefined && claims.sub !== x.subject)
    return { ok: false, code: 'wrong-subject', reason: 'the login is by another IdP user than the enrolled approver' };
  if (x.anyOfGroups !== undefined && !x.anyOfGroups.some((g) => claims.groups.includes(g)))
    return {
      ok: false,
      code: 'not-in-group',
      reason: `the IdP does not list the user in ${x.anyOfGroups.join(' or ')} (claim ${x.groupsClaim ?? 'groups'})`,
    };
  if (x.acrValues !== undefined && (claims.acr === undefined || !x.acrValues.includes(claims.acr)))
    return {
      ok: false,
      code: 'wrong-acr',
      reason: `the login's acr ${claims.acr ?? '(none)'} is not one of ${x.acrValues.join(', ')}`,
    };
  const hash = tokenHash(x.token);
  if (x.seen?.(hash) === true) return { ok: false, code: 'replayed', reason: 'this ID token was already used' };
  return { ok: true, claims, hash };
}

function readClaims(p: JWTPayload, groupsClaim: string): IdClaims | undefined {
  const aud = typeof p.aud === 'string' ? [p.aud] : p.aud;
  const nonce = p['nonce'];
  if (typeof p.iss !== 'string' || typeof p.sub !== 'string' || p.sub === '' || aud === undefined) return undefined;
  if (typeof nonce !== 'string' || typeof p.iat !== 'number') return undefined;
  const rawGroups = p[groupsClaim];
  const groups = Array.isArray(rawGroups) ? rawGroups.filter((g): g is string => typeof g === 'string') : [];
  const authTime = p['auth_time'];
  return {
    iss: p.iss,
    sub: p.sub,
    aud,
    nonce,
    authTime: typeof authTime === 'number' ? authTime : undefined,
    groups,
    email: typeof p['email'] === 'string' ? p['email'] : undefined,
    acr: typeof p['acr'] === 'string' ? p['acr'] : undefined,
    iat: p.iat,
  };
}
