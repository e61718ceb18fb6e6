/**
 * A real OpenID provider (oidc-provider, the certified Node implementation) on a loopback port,
 * with test users and groups. Its built-in development login page accepts any password; the user
 * name picks the account. Two clients: `guard-cli` (the one guard is configured with, native,
 * PKCE, loopback redirect, device flow) and `other-app` (for tokens meant for someone else).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

export const USERS: Record<string, { groups: string[]; email: string }> = {
  alice: { groups: ['sre', 'staff'], email: 'alice@example.test' },
  bob: { groups: ['staff'], email: 'bob@example.test' },
};

export interface TestProvider {
  issuer: string;
  stop(): Promise<void>;
}

export async function startProvider(): Promise<TestProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = {
    ...(await exportJWK(privateKey)),
    kid: `k-${Math.random().toString(36).slice(2)}`,
    alg: 'RS256',
    use: 'sig',
  };
  const common = {
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    redirect_uris: ['http://127.0.0.1/callback', 'http://127.0.0.1/approve/callback'],
    grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
    response_types: ['code'],
    require_auth_time: true,
  };
  const provider = new Provider(issuer, {
    clients: [
      { client_id: 'guard-cli', ...common },
      { client_id: 'other-app', ...common },
    ] as never,
    jwks: { keys: [jwk] } as never,
    cookies: { keys: ['guard-test-cookie-key'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'] },
    scopes: ['openid', 'email', 'groups'],
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true }, deviceFlow: { enabled: true } },
    findAccount(_ctx: KoaContextWithOIDC, sub: string) {
      const user = USERS[sub];
      return {
        accountId: sub,
        claims: () => ({ sub, email: user?.email, email_verified: true, groups: user?.groups ?? [] }),
      };
    },
  });
  server.on('request', provider.callback());
  return {
    issuer,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
