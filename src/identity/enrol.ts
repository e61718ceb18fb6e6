/**
 * Level 2: an approver key enrolled through the IdP. The login's nonce is a hash of the new
 * public key, so the provider's signed ID token names the key; the record keeps issuer, subject
 * and the token, and anyone holding the provider's JWKS can check the binding later.
 */
import type { IdpBinding } from '../approval/types.js';
import { FailClosedError } from '../errors.js';
import type { IdentityConfig } from './config.js';
import { loginWithCode, loginWithDevice } from './login.js';
import type { IdentityMetadata, Jwks } from './metadata.js';
import { enrolmentNonce } from './nonce.js';
import { checkIdToken, type IdTokenCheck } from './verify.js';

export interface IdpEnrolment {
  cfg: IdentityConfig;
  meta: IdentityMetadata;
  publicKey: string;
  /** Each must be in the token's groups claim. */
  groups: string[];
  device: boolean;
  /** Where to show the URL or device code (stderr: stdout may be --json). */
  show: (line: string) => void;
  /** Asked to open a browser on the URL (only when the human asked for it). */
  open?: ((url: string) => void) | undefined;
  signal?: AbortSignal | undefined;
}

export async function enrolWithIdp(e: IdpEnrolment): Promise<IdpBinding & { email: string | undefined }> {
  const nonce = enrolmentNonce(e.publicKey);
  const startedAt = new Date();
  const request = { cfg: e.cfg, meta: e.meta, nonce, maxAge: 0, signal: e.signal };
  const token = e.device
    ? await loginWithDevice(request, (c) => {
        e.show(`Sign in at ${c.verificationUri} and enter the code ${c.userCode}`);
        if (c.completeUri !== undefined) e.show(`(or open ${c.completeUri})`);
      })
    : await loginWithCode(request, (url) => {
        e.show(`Sign in to enrol this key: ${url}`);
        e.open?.(url);
      });
  const r = await checkEnrolmentToken({ cfg: e.cfg, jwks: e.meta.jwks, publicKey: e.publicKey, token, at: new Date() });
  if (!r.ok)
    throw new FailClosedError(
      `the IdP login cannot enrol this key: ${r.reason}`,
      e.device && r.code === 'wrong-nonce'
        ? {
            hint: 'this provider does not put the nonce into device-flow tokens; enrol with the browser login (without --device)',
          }
        : {},
    );
  if (
    r.claims.authTime === undefined ||
    r.claims.authTime < Math.floor(startedAt.getTime() / 1000) - e.cfg.max_clock_skew_seconds
  )
    throw new FailClosedError('the IdP did not make a fresh login for the enrolment (auth_time is old)');
  const missing = e.groups.filter((g) => !r.claims.groups.includes(g));
  if (missing.length > 0)
    throw new FailClosedError(
      `the IdP does not list ${r.claims.sub} in ${missing.join(', ')} (claim ${e.cfg.groups_claim}); nothing was enrolled`,
      { hint: `groups the IdP lists: ${r.claims.groups.join(', ') || '(none)'}` },
    );
  return { issuer: r.claims.iss, subject: r.claims.sub, idToken: token, email: r.claims.email };
}

/** The enrolment token names this key (nonce), comes from the configured issuer for this client. */
export function checkEnrolmentToken(x: {
  cfg: IdentityConfig;
  jwks: Jwks;
  publicKey: string;
  token: string;
  at: Date;
  subject?: string | undefined;
}): Promise<IdTokenCheck> {
  return checkIdToken({
    token: x.token,
    jwks: x.jwks,
    issuer: x.cfg.issuer,
    clientId: x.cfg.client_id,
    nonce: enrolmentNonce(x.publicKey),
    at: x.at,
    skewSeconds: x.cfg.max_clock_skew_seconds,
    groupsClaim: x.cfg.groups_claim,
    subject: x.subject,
  });
}
