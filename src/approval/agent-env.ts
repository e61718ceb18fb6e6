/**
 * Signs that a command runs under an AI agent. A speed bump for commands only a human should run
 * (enrolling an approver), not a security boundary: an agent can unset these.
 */
export const AGENT_ENV_VARS = [
  'GUARD_AGENT',
  'CLAUDECODE',
  'CLAUDE_CODE_ENTRYPOINT',
  'CODEX_SANDBOX',
  'CODEX_SANDBOX_NETWORK_DISABLED',
  'GEMINI_CLI',
] as const;

/** The first agent variable set (non-empty) in env, or undefined. */
export function agentMarker(env: NodeJS.ProcessEnv): string | undefined {
  return AGENT_ENV_VARS.find((k) => env[k] !== undefined && env[k] !== '');
}
