/**
 * Where each agent keeps its hook configuration, and guard's entry in it. The snippets follow
 * each agent's documented schema (see docs/integrations.md for sources). Every hook command ends
 * in `|| exit 2`: should guard itself fail to start (Node missing, a crash), the agent sees the
 * blocking exit code 2 rather than a non-blocking failure that would let the command run.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { guardPaths } from '../../config/paths.js';
import { withFileTools } from '../file-tools.js';
import { shQuote } from '../rewrite.js';
import type { AgentName } from '../types.js';

/** The user's home, for the agents' own config files (guard's files live under GUARD_HOME). */
export function userHome(env: NodeJS.ProcessEnv): string {
  const h = env['HOME'];
  return h !== undefined && h !== '' ? h : homedir();
}

export interface AgentConfig {
  agent: AgentName;
  /** The JSON file guard merges its entry into. */
  file: string;
  /** The hook event the entry lives under (`hooks.<event>`). */
  event: string;
  /** More events that get the same entry (Cursor's file events); doctor checks `event` alone. */
  alsoEvents?: string[];
  /** The matcher group guard adds (undefined for Cursor, whose entries are flat). */
  matcher: string | undefined;
  /** Guard's hook handler object. */
  handler: Record<string, unknown>;
  /** Top-level fields a new file needs (Cursor: `version: 1`). */
  base: Record<string, unknown>;
  /** What the user still has to do after the file is written. */
  notes: string[];
  /** Settings raised to at least a value (a lower or missing one is set; a higher one is kept). */
  minimums: { path: string[]; value: number }[];
}

/**
 * Gemini CLI cancels a shell command that prints nothing for `tools.shell.inactivityTimeout`
 * seconds (default 300). A command waiting in guard exec for a human is silent, so init raises it
 * to 30 minutes.
 */
export const GEMINI_INACTIVITY_TIMEOUT_S = 1800;

/**
 * The hook's command line. `pin` (GUARD_HOME, GUARD_SOCKET) is written into the line for agents
 * that strip the environment they give hooks: Gemini CLI keeps only an allow-list when it believes
 * it runs in CI (GITHUB_SHA set), and a hook without GUARD_HOME would start a second daemon with
 * only the shipped policy.
 */
export function hookCommandLine(guard: string[], agent: AgentName, pin: Record<string, string> = {}): string {
  const assignments = Object.entries(pin).map(([k, v]) => `${k}=${shQuote(v)} `);
  return `${assignments.join('')}${guard.map(shQuote).join(' ')} hook ${agent} || exit 2`;
}

/** GUARD_HOME (always, resolved) and GUARD_SOCKET (when set) of this installation. */
export function daemonPin(env: NodeJS.ProcessEnv): Record<string, string> {
  const paths = guardPaths(env);
  return { GUARD_HOME: paths.home, ...(paths.socketFromEnv ? { GUARD_SOCKET: paths.socket } : {}) };
}

export function agentConfig(agent: AgentName, guard: string[], env: NodeJS.ProcessEnv): AgentConfig {
  const home = userHome(env);
  const command = hookCommandLine(guard, agent);
  switch (agent) {
    case 'claude-code':
      return {
        agent,
        file: join(home, '.claude', 'settings.json'),
        event: 'PreToolUse',
        matcher: withFileTools('Bash'),
        handler: { type: 'command', command, timeout: 30 },
        base: {},
        notes: ['Restart Claude Code (or open /hooks) so that it loads the hook.'],
        minimums: [],
      };
    case 'gemini':
      return {
        agent,
        file: join(home, '.gemini', 'settings.json'),
        event: 'BeforeTool',
        matcher: withFileTools('run_shell_command'),
        handler: {
          name: 'guard',
          type: 'command',
          command: hookCommandLine(guard, agent, daemonPin(env)),
          timeout: 30000,
          description: 'guard: policy, approval and ledger for shell commands',
        },
        base: {},
        notes: ['Restart Gemini CLI; `/hooks panel` lists the guard hook.'],
        minimums: [{ path: ['tools', 'shell', 'inactivityTimeout'], value: GEMINI_INACTIVITY_TIMEOUT_S }],
      };
    case 'codex':
      return {
        agent,
        file: join(home, '.codex', 'hooks.json'),
        event: 'PreToolUse',
        // apply_patch: Codex's file edits, judged like the other agents' file tools
        matcher: 'Bash|apply_patch',
        handler: { type: 'command', command, timeout: 30, statusMessage: 'guard: checking the command' },
        base: {},
        notes: [
          'Codex runs a new hook only after you review and trust it: open Codex and run /hooks.',
          'Codex releases from before hooks were on by default also need `hooks = true` under `[features]` in ~/.codex/config.toml.',
          "In Codex's workspace-write sandbox a command cannot connect to guard's daemon socket unless network access is on: add `[sandbox_workspace_write]` with `network_access = true` to ~/.codex/config.toml (or run Codex with danger-full-access inside your own sandbox); otherwise every command guard rewrites fails closed.",
        ],
        minimums: [],
      };
    case 'cursor':
      return {
        agent,
        file: join(home, '.cursor', 'hooks.json'),
        event: 'beforeShellExecution',
        // its file events: reads are judged before they happen, edits only after (decision 0817)
        alsoEvents: ['beforeReadFile', 'afterFileEdit'],
        matcher: undefined,
        handler: { command },
        base: { version: 1 },
        minimums: [],
        notes: [
          'Restart Cursor. Cursor cannot rewrite a command: one that needs approval is refused with the exact `guard exec …` line to run instead.',
        ],
      };
  }
}

/** Project-level files of the agent (checked by doctor; init writes the user-level one). */
export function projectConfigFiles(agent: AgentName, cwd: string): string[] {
  switch (agent) {
    case 'claude-code':
      return [join(cwd, '.claude', 'settings.json'), join(cwd, '.claude', 'settings.local.json')];
    case 'gemini':
      return [join(cwd, '.gemini', 'settings.json')];
    case 'codex':
      return [join(cwd, '.codex', 'hooks.json')];
    case 'cursor':
      return [join(cwd, '.cursor', 'hooks.json')];
  }
}

/** The snippet a user would paste into an empty file. */
export function snippet(c: AgentConfig): Record<string, unknown> {
  const entry = c.matcher === undefined ? c.handler : { matcher: c.matcher, hooks: [c.handler] };
  return { ...c.base, hooks: Object.fromEntries([c.event, ...(c.alsoEvents ?? [])].map((e) => [e, [entry]])) };
}
