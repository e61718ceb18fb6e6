/**
 * Signs that a command runs under an AI agent. A speed bump for commands only a human should run
 * (deciding, revoking, enrolling), not a security boundary: an agent can unset these. What holds
 * against a hostile agent is that it never has an approver key or its passphrase.
 */
import { UsageError } from '../errors.js';

export const AGENT_ENV_VARS = [
  'GUARD_AGENT',
  'CLAUDECODE',
  'CLAUDE_CODE_ENTRYPOINT',
  'CODEX_SANDBOX',
  'CODEX_SANDBOX_NETWORK_DISABLED',
  // Codex 0.171 sets these in every command's environment, sandboxed or not
  'CODEX_THREAD_ID',
  'CODEX_SESSION_ID',
  'GEMINI_CLI',
] as const;

/** The first agent variable set (non-empty) in env, or undefined. */
export function agentMarker(env: NodeJS.ProcessEnv): string | undefined {
  return AGENT_ENV_VARS.find((k) => env[k] !== undefined && env[k] !== '');
}

/**
 * Refuse a human-only command (`what`, e.g. "approve a request") when an agent marker is set.
 * Exit 64 with the marker named, before anything is read or sent.
 */
export function refuseUnderAgent(env: NodeJS.ProcessEnv, what: string, hint: string): void {
  const marker = agentMarker(env);
  if (marker !== undefined)
    throw new UsageError(`refusing to ${what} inside an AI agent session (${marker} is set)`, { hint });
}
