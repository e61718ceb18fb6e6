/**
 * The daemon's own check of an IdP-bound enrolment: the client's word is not taken. The token
 * must verify against this installation's provider keys, name the candidate's key (nonce) and
 * subject, and list every group asked for.
 */
import type { Candidate } from '../approval/endorsement.js';
import { GuardError } from '../errors.js';
import { checkEnrolmentToken } from './enrol.js';
import { requireIdentity } from './load.js';
import { cachedIdentityMetadata, refreshIdentityMetadata } from './metadata.js';

/** Undefined when acceptable (or no IdP binding), else the refusal text. */
export async function idpCandidateRefusal(
  env: NodeJS.ProcessEnv,
  c: Candidate,
  now: Date,
): Promise<string | undefined> {
  if (c.idp === undefined) return undefined;
  try {
    const { cfg, home } = requireIdentity(env);
    if (c.idp.issuer !== cfg.issuer) return `the IdP binding names issuer ${c.idp.issuer}, not ${cfg.issuer}`;
    // fresh keys when the provider answers (a just-rotated key); else the cached copy
    const meta = await refreshIdentityMetadata(cfg, home).catch(() => cachedIdentityMetadata(cfg, home));
    if (meta === undefined) return 'the identity provider cannot be reached and no keys of it are cached';
    const r = await checkEnrolmentToken({
      cfg,
      jwks: meta.jwks,
      publicKey: c.publicKey,
      token: c.idp.idToken,
      at: now,
      subject: c.idp.subject,
    });
    if (!r.ok) return `IdP binding refused: ${r.reason}`;
    const missing = c.groups.filter((g) => !r.claims.groups.includes(g));
    if (missing.length > 0)
      return `IdP binding refused: the IdP does not list ${r.claims.sub} in ${missing.join(', ')}`;
    return undefined;
  } catch (err) {
    if (err instanceof GuardError) return err.message;
    throw err;
  }
}
