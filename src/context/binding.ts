/**
 * What an approval binds beyond argv, cwd and requester, gathered by the exec client when a
 * command is held: the environment variables that change what a command acts on, and the files
 * its arguments name, resolved. The list is documented in docs/approval.md ("What an approval
 * binds") and docs/decisions/0410-approval-binds-environment-and-paths.md; keep them in step.
 */
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Env } from './types.js';

/** Variables bound by exact name: they choose the account, cluster, database or code a tool uses. */
export const BOUND_ENV_NAMES: readonly string[] = [
  // where tools read their configuration and credentials from
  'HOME',
  'XDG_CONFIG_HOME',
  // Kubernetes
  'KUBECONFIG',
  // gcloud, Azure
  'GCLOUD_PROJECT',
  'CLOUDSDK_CONFIG',
  // PostgreSQL (libpq)
  'PGHOST',
  'PGHOSTADDR',
  'PGPORT',
  'PGDATABASE',
  'PGUSER',
  'PGSERVICE',
  'PGSERVICEFILE',
  'PGPASSFILE',
  'PGOPTIONS',
  'PGSSLMODE',
  'PGTARGETSESSIONATTRS',
  'DATABASE_URL',
  // MySQL, Redis, MongoDB
  'MYSQL_HOST',
  'MYSQL_TCP_PORT',
  'MYSQL_UNIX_PORT',
  'REDIS_URL',
  'MONGODB_URI',
  // code a program loads besides its own file
  'BASH_ENV',
  'ENV',
  'PYTHONPATH',
  'PYTHONHOME',
  'PYTHONSTARTUP',
  'NODE_OPTIONS',
  'NODE_PATH',
  'PERL5LIB',
  'PERL5OPT',
  'RUBYLIB',
  'RUBYOPT',
];

/** Variables bound by prefix: whole tool families whose every setting picks a target. */
export const BOUND_ENV_PREFIXES: readonly string[] = [
  'TF_', // Terraform / OpenTofu: TF_WORKSPACE, TF_VAR_*, TF_CLI_ARGS*, TF_DATA_DIR
  'AWS_', // AWS_PROFILE, AWS_REGION, AWS_DEFAULT_REGION, credentials, AWS_ENDPOINT_URL*
  'AZURE_',
  'ARM_', // Terraform's azurerm provider
  'GOOGLE_', // GOOGLE_APPLICATION_CREDENTIALS, GOOGLE_CLOUD_PROJECT
  'CLOUDSDK_', // CLOUDSDK_CORE_PROJECT, CLOUDSDK_ACTIVE_CONFIG_NAME
  'HELM_', // HELM_KUBECONTEXT, HELM_NAMESPACE
  'DOCKER_', // DOCKER_HOST, DOCKER_CONTEXT, DOCKER_CONFIG
  'COMPOSE_', // COMPOSE_PROJECT_NAME, COMPOSE_FILE
  'GIT_', // GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE, GIT_CONFIG_*
  'PULUMI_',
  'VAULT_',
  'NOMAD_',
  'CONSUL_',
  'LD_', // LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT
];

export function isBoundEnvName(name: string): boolean {
  return BOUND_ENV_NAMES.includes(name) || BOUND_ENV_PREFIXES.some((p) => name.startsWith(p));
}

/** The bound variables that are set, with their values (for the reviewer; redact before sending on). */
export function boundEnvValues(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(env).sort()) {
    const v = env[name];
    if (v !== undefined && isBoundEnvName(name)) out[name] = v;
  }
  return out;
}

/**
 * sha256 hex of every variable's value, by name. The daemon binds the listed names and every name
 * the policy's own `env` matches read; values are hashed so that secrets never cross the socket.
 */
export async function envHashes(env: Env): Promise<Record<string, string>> {
  const { createHash } = await import('node:crypto'); // lazily: the quick exec path never hashes
  const out: Record<string, string> = {};
  for (const name of Object.keys(env).sort()) {
    const v = env[name];
    if (v !== undefined) out[name] = createHash('sha256').update(v, 'utf8').digest('hex');
  }
  return out;
}

/** Longest argument resolved as a path (PATH_MAX). */
const MAX_PATH = 4096;

/**
 * Where each argument points, resolved through every symlink against cwd: one entry per argv
 * element, null for the program itself (bound by digest) and options. A word that names nothing
 * yet is bound to where it would be created (its parent directory resolved, plus its last part),
 * so a file the command itself creates keeps the binding, while a symlink planted under that
 * name (or `./a` turned into one) resolves elsewhere and no longer matches.
 */
export function resolveTargets(argv: readonly string[], cwd: string): (string | null)[] {
  return argv.map((arg, i) => {
    if (i === 0 || arg === '' || arg.startsWith('-') || arg.length > MAX_PATH || arg.includes('\0')) return null;
    const p = resolve(cwd, arg);
    try {
      return realpathSync(p);
    } catch {
      try {
        return join(realpathSync(dirname(p)), basename(p));
      } catch {
        return null;
      }
    }
  });
}

/** The resolved targets for the reviewer: argument → real path, for arguments that name something. */
export function targetsView(argv: readonly string[], targets: readonly (string | null)[]): Record<string, string> {
  const out: Record<string, string> = {};
  targets.forEach((t, i) => {
    if (t !== null && existsSync(t)) out[argv[i] ?? ''] = t;
  });
  return out;
}
