import { existsSync, readFileSync } from 'node:fs';
import { guardPaths } from '../config/paths.js';
import { UsageError } from '../errors.js';
import { loadIdentityConfig, type IdentityConfig } from './config.js';

/** The configured IdP of this installation (GUARD_HOME/config.yaml), or a usage error saying how to set one. */
export function requireIdentity(env: NodeJS.ProcessEnv): { cfg: IdentityConfig; home: string } {
  const paths = guardPaths(env);
  const cfg = existsSync(paths.configFile)
    ? loadIdentityConfig(readFileSync(paths.configFile, 'utf8'), paths.configFile)
    : undefined;
  if (cfg === undefined)
    throw new UsageError(`no identity provider is configured in ${paths.configFile}`, {
      hint: 'add an identity: section (issuer, client_id, scopes, groups_claim); see docs/identity.md',
    });
  return { cfg, home: paths.home };
}
