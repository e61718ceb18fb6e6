/**
 * Real provider, real Chromium, real tokens: a code + PKCE login on a loopback redirect, then the
 * offline checks a step-up approval relies on, each refusal made with a genuine token.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identitySchema, type IdentityConfig } from '../../src/identity/config.js';
import { loginWithCode } from '../../src/identity/login.js';
import { cachedIdentityMetadata, refreshIdentityMetadata, type IdentityMetadata } from '../../src/identity/metadata.js';
import { stepUpNonce, viewHash } from '../../src/identity/nonce.js';
import { checkIdToken, type IdTokenExpectations } from '../../src/identity/verify.js';
import { chromiumSkipReason, codeLogin, launchChromium, loopbackPage } from './browser.js';
import { startProvider, type TestProvider } from './provider.js';

const FP = 'a'.repeat(64);

describe.skipIf(chromiumSkipReason())('ID tokens from a real provider, checked offline', () => {
  let idp: TestProvider;
  let other: TestProvider;
  let browser: Browser;
  let home: string;
  let cfg: IdentityConfig;
  let meta: IdentityMetadata;

  const config = (issuer: string, clientId = 'guard-cli') =>
    identitySchema.parse({
      issuer,
      client_id: clientId,
      scopes: ['openid', 'email', 'groups'],
      allow_insecure_http: true,
    });

  async function login(user: string, nonce: string, c = cfg, m = meta): Promise<string> {
    const page = await loopbackPage(browser);
    try {
      let browsing: Promise<void> = Promise.resolve();
      const token = await loginWithCode({ cfg: c, meta: m, nonce, maxAge: 0 }, (url) => {
        browsing = codeLogin(page, url, user);
      });
      await browsing;
      return token;
    } finally {
      await page.context().close();
    }
  }

  const expect1 = (token: string, over: Partial<IdTokenExpectations> = {}): IdTokenExpectations => ({
    token,
    jwks: meta.jwks,
    issuer: idp.issuer,
    clientId: 'guard-cli',
    nonce: stepUpNonce('r1', FP, viewHash('view')),
    at: new Date(),
    authAfter: requestMadeAt,
    skewSeconds: 0,
    ...over,
  });

  let aliceToken: string;
  let requestMadeAt: Date;

  beforeAll(async () => {
    [idp, other, browser] = await Promise.all([startProvider(), startProvider(), launchChromium()]);
    home = mkdtempSync(join(tmpdir(), 'guard-idp-'));
    cfg = config(idp.issuer);
    meta = await refreshIdentityMetadata(cfg, home);
    requestMadeAt = new Date(Date.now() - 1000);
    aliceToken = await login('alice', stepUpNonce('r1', FP, viewHash('view')));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([idp?.stop(), other?.stop()]);
    if (home !== undefined) rmSync(home, { recursive: true, force: true });
  });

  it('accepts the login made for this request, view and group, and reads sub, groups, auth_time', async () => {
    const r = await checkIdToken(
      expect1(aliceToken, { authAfter: requestMadeAt, anyOfGroups: ['sre'], subject: 'alice' }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.claims.sub).toBe('alice');
    expect(r.claims.groups).toEqual(['sre', 'staff']);
    expect(r.claims.authTime).toBeGreaterThanOrEqual(Math.floor(requestMadeAt.getTime() / 1000));
  });

  it('refuses a token whose nonce names another request or another view', async () => {
    const other1 = await checkIdToken(expect1(aliceToken, { nonce: stepUpNonce('r2', FP, viewHash('view')) }));
    const other2 = await checkIdToken(expect1(aliceToken, { nonce: stepUpNonce('r1', FP, viewHash('another view')) }));
    expect(other1).toMatchObject({ ok: false, code: 'wrong-nonce' });
    expect(other2).toMatchObject({ ok: false, code: 'wrong-nonce' });
  });

  it('refuses a login older than the request (auth_time before it)', async () => {
    const r = await checkIdToken(expect1(aliceToken, { authAfter: new Date(Date.now() + 60_000) }));
    expect(r).toMatchObject({ ok: false, code: 'stale-login' });
  });

  it('refuses a user outside the group, and another subject than the enrolled one', async () => {
    const nonce = stepUpNonce('r1', FP, viewHash('view'));
    const bobToken = await login('bob', nonce);
    expect(await checkIdToken(expect1(bobToken, { anyOfGroups: ['sre'] }))).toMatchObject({
      ok: false,
      code: 'not-in-group',
    });
    expect(await checkIdToken(expect1(bobToken, { subject: 'alice' }))).toMatchObject({
      ok: false,
      code: 'wrong-subject',
    });
  });

  it('refuses a replayed token', async () => {
    const used = new Set<string>();
    const first = await checkIdToken(expect1(aliceToken, { seen: (h) => used.has(h) }));
    expect(first.ok).toBe(true);
    if (first.ok) used.add(first.hash);
    expect(await checkIdToken(expect1(aliceToken, { seen: (h) => used.has(h) }))).toMatchObject({
      ok: false,
      code: 'replayed',
    });
  });

  it('refuses a token for another audience (client) of the same provider', async () => {
    const nonce = stepUpNonce('r1', FP, viewHash('view'));
    const t = await login('alice', nonce, config(idp.issuer, 'other-app'));
    expect(await checkIdToken(expect1(t))).toMatchObject({ ok: false, code: 'wrong-audience' });
  });

  it('refuses a token from another issuer: unknown key, and with its keys still the wrong issuer', async () => {
    const nonce = stepUpNonce('r1', FP, viewHash('view'));
    const otherCfg = config(other.issuer);
    const otherMeta = await refreshIdentityMetadata(otherCfg, home);
    const t = await login('alice', nonce, otherCfg, otherMeta);
    expect(await checkIdToken(expect1(t))).toMatchObject({ ok: false, code: 'bad-signature' });
    const both = { keys: [...meta.jwks.keys, ...otherMeta.jwks.keys] };
    expect(await checkIdToken(expect1(t, { jwks: both }))).toMatchObject({ ok: false, code: 'wrong-issuer' });
  });

  it('refuses a token with any payload byte changed', async () => {
    const [h, p, s] = aliceToken.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const forged = [
      h,
      Buffer.from(JSON.stringify({ ...claims, groups: ['sre', 'admin'] })).toString('base64url'),
      s,
    ].join('.');
    expect(await checkIdToken(expect1(forged))).toMatchObject({ ok: false, code: 'bad-signature' });
    expect(await checkIdToken(expect1('not.a-token'))).toMatchObject({ ok: false, code: 'malformed' });
  });

  it('verifies offline from the cached JWKS after the provider is gone, as of the approval time', async () => {
    const approvedAt = new Date();
    await idp.stop();
    const cached = cachedIdentityMetadata(cfg, home);
    expect(cached?.jwks).toEqual(meta.jwks);
    await expect(refreshIdentityMetadata(cfg, home)).rejects.toThrow(/cannot fetch/);
    // an hour later the token has expired, but judged as of the approval it is still good
    const r = await checkIdToken(expect1(aliceToken, { jwks: cached!.jwks, at: approvedAt }));
    expect(r.ok).toBe(true);
    const late = await checkIdToken(expect1(aliceToken, { jwks: cached!.jwks, at: new Date(Date.now() + 86_400_000) }));
    expect(late).toMatchObject({ ok: false, code: 'expired' });
  });
});
