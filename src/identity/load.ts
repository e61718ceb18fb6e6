import { existsSync, readFileSync } from 'node:fs';
import { guardPaths } from '../config/paths.js';
import { UsageError } from '../errors.js';
import type { ChannelSubjects } from '../request/vote.js';
import { loadIdentityConfig, type IdentityConfig } from './config.js';

/** The configured IdP of this installation, or undefined when config.yaml has no identity: section. */
export function configuredIdentity(env: NodeJS.ProcessEnv): IdentityConfig | undefined {
  const paths = guardPaths(env);
  return existsSync(paths.configFile)
    ? loadIdentityConfig(readFileSync(paths.configFile, 'utf8'), paths.configFile)
    : undefined;
}

/** With `identity:` configured, the mapping Slack and Teams identities must go through (decision 1066). */
export function channelSubjects(env: NodeJS.ProcessEnv): ChannelSubjects | undefined {
  const cfg = configuredIdentity(env);
  return cfg === undefined ? undefined : { issuer: cfg.issuer, ...cfg.channel_subjects };
}

/** The configured IdP of this installation (GUARD_HOME/config.yaml), or a usage error saying how to set one. */
export function requireIdentity(env: NodeJS.ProcessEnv): { cfg: IdentityConfig; home: string } {
  const paths = guardPaths(env);
  const cfg = configuredIdentity(env);
  if (cfg === undefined)
    throw new UsageError(`no identity provider is configured in ${paths.configFile}`, {
      hint: 'add an identity: section (issuer, client_id, scopes, groups_claim); see docs/identity.md',
    });
  return { cfg, home: paths.home };
}
