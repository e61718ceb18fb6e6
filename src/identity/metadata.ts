/**
 * The provider's discovery document and signing keys (JWKS), fetched from the issuer and cached
 * under GUARD_HOME/identity/<issuer hash>/ so that tokens can be verified later without the
 * network. The discovery document must name exactly the configured issuer.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { FailClosedError } from '../errors.js';
import type { IdentityConfig } from './config.js';

const MAX_DOC_BYTES = 256 * 1024;

const discoverySchema = z
  .object({
    issuer: z.string(),
    authorization_endpoint: z.url(),
    token_endpoint: z.url(),
    jwks_uri: z.url(),
    device_authorization_endpoint: z.url().optional(),
    userinfo_endpoint: z.url().optional(),
    id_token_signing_alg_values_supported: z.array(z.string()).optional(),
    code_challenge_methods_supported: z.array(z.string()).optional(),
  })
  .loose();

const jwkSchema = z.object({ kty: z.string() }).loose();
export const jwksSchema = z.object({ keys: z.array(jwkSchema).min(1).max(100) }).loose();

export type Discovery = z.infer<typeof discoverySchema>;
export type Jwks = { keys: Record<string, unknown>[] };

export interface IdentityMetadata {
  discovery: Discovery;
  jwks: Jwks;
  /** ISO time the copy was fetched. */
  fetchedAt: string;
}

export function identityCacheDir(home: string, issuer: string): string {
  return join(home, 'identity', createHash('sha256').update(issuer).digest('hex').slice(0, 16));
}

async function getJson(url: string, what: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json' }, redirect: 'error' });
  } catch (err) {
    throw new FailClosedError(`cannot fetch the identity provider's ${what} (${url}): ${(err as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) throw new FailClosedError(`the identity provider's ${what} (${url}) answered HTTP ${res.status}`);
  if (text.length > MAX_DOC_BYTES) throw new FailClosedError(`the identity provider's ${what} is too large`);
  try {
    return JSON.parse(text);
  } catch {
    throw new FailClosedError(`the identity provider's ${what} (${url}) is not JSON`);
  }
}

/** Fetches discovery and JWKS from the issuer, checks them, and replaces the cached copy. */
export async function refreshIdentityMetadata(cfg: IdentityConfig, home: string): Promise<IdentityMetadata> {
  const wellKnown = `${cfg.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const d = discoverySchema.safeParse(await getJson(wellKnown, 'discovery document'));
  if (!d.success) throw new FailClosedError(`the discovery document at ${wellKnown} is invalid`);
  if (d.data.issuer !== cfg.issuer)
    throw new FailClosedError(
      `the discovery document names issuer ${JSON.stringify(d.data.issuer)}, not the configured ${JSON.stringify(cfg.issuer)}`,
      { hint: 'set identity.issuer to exactly the issuer the provider reports' },
    );
  const j = jwksSchema.safeParse(await getJson(d.data.jwks_uri, 'signing keys (JWKS)'));
  if (!j.success) throw new FailClosedError(`the JWKS at ${d.data.jwks_uri} is invalid`);
  const meta: IdentityMetadata = {
    discovery: d.data,
    jwks: { keys: j.data.keys.map((k) => publicPart(k)) },
    fetchedAt: new Date().toISOString(),
  };
  const dir = identityCacheDir(home, cfg.issuer);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.metadata.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(meta, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, join(dir, 'metadata.json'));
  return meta;
}

/** The cached copy (no network); undefined when none was ever fetched. Fails closed on a bad file. */
export function cachedIdentityMetadata(cfg: IdentityConfig, home: string): IdentityMetadata | undefined {
  const file = join(identityCacheDir(home, cfg.issuer), 'metadata.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new FailClosedError(`the cached identity metadata ${file} is unreadable: ${(err as Error).message}`);
  }
  const m = z.object({ discovery: discoverySchema, jwks: jwksSchema, fetchedAt: z.string() }).safeParse(raw);
  if (!m.success || m.data.discovery.issuer !== cfg.issuer)
    throw new FailClosedError(`the cached identity metadata ${file} is invalid`, {
      hint: `remove it; it is refetched`,
    });
  return m.data;
}

/** Only the public members of a JWK: a provider that publishes private parts must not have them copied around. */
function publicPart(k: Record<string, unknown>): Record<string, unknown> {
  const keep = ['kty', 'kid', 'use', 'alg', 'crv', 'x', 'y', 'n', 'e', 'key_ops'];
  return Object.fromEntries(Object.entries(k).filter(([name]) => keep.includes(name)));
}
