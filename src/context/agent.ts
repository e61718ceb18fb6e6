import type { Env } from './types.js';

/**
 * Which AI agent runs the command. Sources (checked against the agents' own code and issue
 * trackers, see docs/decisions/0305-agent-detection.md):
 * - Claude Code sets CLAUDECODE=1 in the shells it spawns (since v0.2.47); CLAUDE_CODE_SESSION_ID where present.
 * - Codex sets CODEX_SANDBOX (seatbelt), CODEX_SANDBOX_NETWORK_DISABLED=1; newer builds CODEX_THREAD_ID, CODEX_CI.
 * - Gemini CLI sets GEMINI_CLI=1. Cline sets CLINE_ACTIVE. OpenCode sets OPENCODE / OPENCODE_CLIENT.
 * - Cursor: CURSOR_AGENT, or CURSOR_EXTENSION_HOST_ROLE=agent-exec. CURSOR_TRACE_ID alone is the
 *   ordinary integrated terminal of a human, not the agent, and is ignored.
 * - Aider sets nothing of its own in child shells (its AIDER_* variables are user configuration
 *   that a human's shell may export too), so aider is found by process name only.
 */
interface EnvRule {
  agent: string;
  when: (env: Env) => boolean;
  session?: string[];
}

const set = (env: Env, k: string): boolean => env[k] !== undefined && env[k] !== '' && env[k] !== '0';

const ENV_RULES: EnvRule[] = [
  {
    agent: 'claude-code',
    when: (e) => set(e, 'CLAUDECODE') || set(e, 'CLAUDE_CODE_ENTRYPOINT'),
    session: ['CLAUDE_CODE_SESSION_ID', 'CLAUDE_SESSION_ID'],
  },
  {
    agent: 'codex',
    when: (e) =>
      set(e, 'CODEX_SANDBOX') ||
      set(e, 'CODEX_SANDBOX_NETWORK_DISABLED') ||
      set(e, 'CODEX_THREAD_ID') ||
      set(e, 'CODEX_CI'),
    session: ['CODEX_THREAD_ID'],
  },
  { agent: 'gemini', when: (e) => set(e, 'GEMINI_CLI'), session: ['GEMINI_SESSION_ID'] },
  { agent: 'cursor', when: (e) => set(e, 'CURSOR_AGENT') || e['CURSOR_EXTENSION_HOST_ROLE'] === 'agent-exec' },
  { agent: 'cline', when: (e) => set(e, 'CLINE_ACTIVE') },
  { agent: 'opencode', when: (e) => set(e, 'OPENCODE') || set(e, 'OPENCODE_CLIENT') },
  { agent: 'augment', when: (e) => set(e, 'AUGMENT_AGENT') },
];

/** Process names (comm, or the script name of a node/python CLI) → agent. */
const PROCESS_NAMES: [RegExp, string][] = [
  [/^claude(?:-code)?$/, 'claude-code'],
  [/^codex(?:-\w+)?$/, 'codex'],
  [/^gemini$/, 'gemini'],
  [/^cursor-agent$/, 'cursor'],
  [/^aider$/, 'aider'],
  [/^goose$/, 'goose'],
  [/^opencode$/, 'opencode'],
  [/^amp$/, 'amp'],
  [/^cline$/, 'cline'],
];

export function detectAgent(
  env: Env,
  parents: { name: string; args?: string[] }[],
): { agent?: string; session?: string } {
  const explicit = env['GUARD_AGENT'];
  const sessionFrom = (keys: string[] | undefined): string | undefined =>
    keys?.map((k) => env[k]).find((v) => v !== undefined && v !== '');
  const withSession = (agent: string, keys?: string[]): { agent: string; session?: string } => {
    const session = env['GUARD_AGENT_SESSION'] ?? sessionFrom(keys);
    return session === undefined || session === '' ? { agent } : { agent, session };
  };
  const rule = ENV_RULES.find((r) => r.when(env));
  if (explicit !== undefined && explicit !== '') return withSession(explicit.slice(0, 64), rule?.session);
  if (rule !== undefined) return withSession(rule.agent, rule.session);
  for (const p of parents) {
    for (const n of [p.name, ...(p.args ?? [])]) {
      const hit = PROCESS_NAMES.find(([re]) => re.test(n.replace(/\.(?:js|mjs|cjs|py)$/, '')));
      if (hit !== undefined) return withSession(hit[1]);
    }
  }
  return {};
}

/** CI provider, job, run and URL from the providers' documented variables. */
export function detectCi(env: Env): { provider: string; job?: string; url?: string; run?: string } | undefined {
  const pick = (o: Record<string, string | undefined>): Record<string, string> =>
    Object.fromEntries(Object.entries(o).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
  if (env['GITHUB_ACTIONS'] === 'true') {
    const server = env['GITHUB_SERVER_URL'] ?? 'https://github.com';
    const url =
      env['GITHUB_REPOSITORY'] !== undefined && env['GITHUB_RUN_ID'] !== undefined
        ? `${server}/${env['GITHUB_REPOSITORY']}/actions/runs/${env['GITHUB_RUN_ID']}`
        : undefined;
    return { provider: 'github-actions', ...pick({ job: env['GITHUB_JOB'], run: env['GITHUB_RUN_ID'], url }) };
  }
  if (env['GITLAB_CI'] === 'true')
    return {
      provider: 'gitlab-ci',
      ...pick({ job: env['CI_JOB_NAME'], run: env['CI_PIPELINE_ID'], url: env['CI_JOB_URL'] }),
    };
  if (env['BUILDKITE'] === 'true') {
    return {
      provider: 'buildkite',
      ...pick({
        job: env['BUILDKITE_LABEL'] ?? env['BUILDKITE_STEP_KEY'],
        run: env['BUILDKITE_BUILD_NUMBER'],
        url: env['BUILDKITE_BUILD_URL'],
      }),
    };
  }
  if (env['CIRCLECI'] === 'true')
    return {
      provider: 'circleci',
      ...pick({ job: env['CIRCLE_JOB'], run: env['CIRCLE_BUILD_NUM'], url: env['CIRCLE_BUILD_URL'] }),
    };
  if (env['JENKINS_URL'] !== undefined && env['BUILD_ID'] !== undefined)
    return { provider: 'jenkins', ...pick({ job: env['JOB_NAME'], run: env['BUILD_ID'], url: env['BUILD_URL'] }) };
  const ci = env['CI']?.toLowerCase();
  if (ci === 'true' || ci === '1') return { provider: 'ci' };
  return undefined;
}

/** The human the agent acts for, when the environment says so. */
export function onBehalfOf(env: Env): string | undefined {
  for (const k of [
    'GUARD_ON_BEHALF_OF',
    'GITHUB_ACTOR',
    'GITLAB_USER_LOGIN',
    'BUILDKITE_BUILD_CREATOR_EMAIL',
    'SUDO_USER',
  ]) {
    const v = env[k];
    if (v !== undefined && v !== '') return v.slice(0, 200);
  }
  return undefined;
}
