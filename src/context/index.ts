/**
 * Request context: who asks (user, agent, parent processes, CI), where (cwd, git, Kubernetes,
 * AWS, gcloud, Terraform), why (ticket from the branch) and what exactly (resolved program and
 * its SHA-256). Reads env, /proc and config files; never runs a tool; never throws.
 * Design: docs/redaction.md (context section).
 */
export type { RequestContext } from './types.js';
export { gatherContext } from './gather.js';
export { resolveProgram, lookupProgram, MAX_PROGRAM_BYTES } from './program.js';
export { resolveProgramCached } from './hashcache.js';
export { detectAgent, detectCi } from './agent.js';
export { ticketFromBranch } from './ticket.js';
export { stripUrlCredentials } from './git.js';
