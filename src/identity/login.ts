/**
 * Logging a human in at the IdP from the command line: authorization code + PKCE with the
 * redirect on a loopback port (RFC 8252), or the device authorization grant (RFC 8628) where no
 * browser is at hand. Returns the raw ID token; the caller checks it with `checkIdToken` against
 * the JWKS it keeps, so nothing here is trusted beyond the transport.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { FailClosedError } from '../errors.js';
import type { IdentityConfig } from './config.js';
import type { IdentityMetadata } from './metadata.js';

export interface LoginRequest {
  cfg: IdentityConfig;
  meta: IdentityMetadata;
  nonce: string;
  /** 0 forces a fresh login (step-up). */
  maxAge?: number | undefined;
  acrValues?: string[] | undefined;
  signal?: AbortSignal | undefined;
}

export function configuration(cfg: IdentityConfig, meta: IdentityMetadata): oidc.Configuration {
  const config = new oidc.Configuration(
    meta.discovery as oidc.ServerMetadata,
    cfg.client_id,
    { token_endpoint_auth_method: 'none' },
    oidc.None(),
  );
  if (cfg.allow_insecure_http) oidc.allowInsecureRequests(config);
  return config;
}

function extraParams(r: LoginRequest): Record<string, string> {
  const p: Record<string, string> = { scope: r.cfg.scopes.join(' '), nonce: r.nonce };
  if (r.maxAge !== undefined) p['max_age'] = String(r.maxAge);
  if (r.acrValues !== undefined && r.acrValues.length > 0) p['acr_values'] = r.acrValues.join(' ');
  return p;
}

function idTokenOf(tokens: { id_token?: string | undefined }): string {
  if (typeof tokens.id_token !== 'string') throw new FailClosedError('the identity provider returned no ID token');
  return tokens.id_token;
}

const DONE_PAGE =
  '<!doctype html><meta charset="utf-8"><title>guard</title><p>Signed in. You can close this tab and return to the terminal.</p>';

/**
 * Code + PKCE. `onUrl` receives the URL to open (print it; open a browser only if asked). The
 * promise settles when the provider redirects back to the loopback listener.
 */
export async function loginWithCode(r: LoginRequest, onUrl: (url: string) => void): Promise<string> {
  const config = configuration(r.cfg, r.meta);
  const verifier = oidc.randomPKCECodeVerifier();
  const challenge = await oidc.calculatePKCECodeChallenge(verifier);
  const state = oidc.randomState();
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  try {
    const { port } = server.address() as AddressInfo;
    const redirectUri = `http://127.0.0.1:${port}/callback`;
    const url = oidc.buildAuthorizationUrl(config, {
      ...extraParams(r),
      redirect_uri: redirectUri,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state,
    });
    const callback = waitForCallback(server, state, r.signal);
    onUrl(url.href);
    const current = await callback;
    const tokens = await oidc.authorizationCodeGrant(config, current, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: r.nonce,
      ...(r.maxAge === undefined ? {} : { maxAge: r.maxAge }),
    });
    return idTokenOf(tokens);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function waitForCallback(server: Server, state: string, signal: AbortSignal | undefined): Promise<URL> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new FailClosedError('the login was cancelled; nothing was done'));
    signal?.addEventListener('abort', onAbort, { once: true });
    server.on('request', (req, res) => {
      const url = new URL(req.url ?? '/', `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      // only the redirect carrying our state ends the wait; anything else (favicon, a probe) is 404
      if (req.method !== 'GET' || url.pathname !== '/callback' || url.searchParams.get('state') !== state) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      const error = url.searchParams.get('error');
      res.writeHead(error === null ? 200 : 400, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': "default-src 'none'",
      });
      res.end(error === null ? DONE_PAGE : '<!doctype html><p>The sign-in failed; see the terminal.</p>');
      signal?.removeEventListener('abort', onAbort);
      if (error !== null)
        reject(new FailClosedError(`the identity provider refused the login: ${error.slice(0, 200)}`));
      else resolve(url);
    });
  });
}

/** Device authorization grant: `onCode` shows where to go and which code to type. */
export async function loginWithDevice(
  r: LoginRequest,
  onCode: (c: { verificationUri: string; userCode: string; completeUri: string | undefined }) => void,
): Promise<string> {
  if (r.meta.discovery.device_authorization_endpoint === undefined)
    throw new FailClosedError('the identity provider offers no device authorization endpoint', {
      hint: 'use the browser login (without --device)',
    });
  const config = configuration(r.cfg, r.meta);
  const started = await oidc.initiateDeviceAuthorization(config, extraParams(r));
  onCode({
    verificationUri: started.verification_uri,
    userCode: started.user_code,
    completeUri: started.verification_uri_complete,
  });
  const tokens = await oidc.pollDeviceAuthorizationGrant(config, started, undefined, { signal: r.signal });
  return idTokenOf(tokens);
}
