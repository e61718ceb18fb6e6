/**
 * `guard doctor`: is the guard hook configured for each agent found here — in its user settings
 * or in the project's — and does it start an executable guard? Claude Code's `disableAllHooks`
 * switches every hook off, so it is a failure wherever it is set.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { agentConfig, projectConfigFiles, userHome, type AgentConfig } from '../config/agents.js';
import { findGuardCommands, parseSettings } from '../config/merge.js';
import type { Check } from '../setup/check.js';
import { AGENTS, type AgentName } from '../types.js';

/** The guard executable a hook command starts (its first word after NAME=value words). */
export function hookExecutable(command: string): string | undefined {
  const rest = command.replace(/^\s*(?:[A-Za-z_][A-Za-z0-9_]*=(?:'[^']*'|\S*)\s+)*/, '');
  const m = /^'([^']*)'|^(\S+)/.exec(rest);
  return m?.[1] ?? m?.[2];
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

interface FileState {
  file: string;
  commands: string[];
  hooksDisabled: boolean;
}

/** Read one settings file; undefined when absent; throws UsageError when it is not JSON. */
function readState(file: string, c: AgentConfig): FileState | undefined {
  if (!existsSync(file)) return undefined;
  const settings = parseSettings(readFileSync(file, 'utf8'), file);
  return {
    file,
    commands: findGuardCommands(settings, { ...c, file }),
    hooksDisabled: settings['disableAllHooks'] === true,
  };
}

function agentCheck(agent: AgentName, c: AgentConfig, cwd: string, env: NodeJS.ProcessEnv): Check | undefined {
  const name = `hook ${agent}`;
  const fix = `guard init --agent ${agent}`;
  const files = [c.file, ...projectConfigFiles(agent, cwd).filter((f) => f !== c.file)];
  const states: FileState[] = [];
  for (const file of files) {
    try {
      const s = readState(file, c);
      if (s !== undefined) states.push(s);
    } catch (err) {
      return { name, status: 'fail', detail: (err as Error).message, hint: `fix the JSON in ${file}, then ${fix}` };
    }
  }
  const disabled = states.find((s) => s.hooksDisabled);
  if (disabled !== undefined)
    return {
      name,
      status: 'fail',
      detail: `"disableAllHooks": true in ${disabled.file} turns the guard hook off`,
      hint: `remove it from ${disabled.file}`,
    };
  const withHook = states.find((s) => s.commands.length > 0);
  if (withHook === undefined) {
    if (states.length === 0 && !existsSync(dirname(c.file))) return undefined; // agent not used here
    const where = states.length > 0 ? states.map((s) => s.file).join(', ') : `${c.file} (absent)`;
    return {
      name,
      status: 'warn',
      detail: `no guard hook in ${where}: ${agent}'s commands do not go through guard`,
      hint: fix,
    };
  }
  const exe = hookExecutable(withHook.commands[0]!);
  if (exe === undefined || !executable(exe))
    return {
      name,
      status: 'fail',
      detail: `the hook in ${withHook.file} starts ${exe ?? '(nothing)'}, which is not an executable guard`,
      hint: `${fix} --yes (rewrites the entry with this guard's path)`,
    };
  if (agent === 'codex' && !codexTrusts(withHook.file, env))
    return {
      name,
      status: 'fail',
      detail: `${withHook.file} runs ${exe}, but Codex has not trusted it: until then Codex runs every command with no hook at all`,
      hint: 'open Codex, run /hooks and trust the guard hook (Codex keeps the trust in its config.toml)',
    };
  return { name, status: 'ok', detail: `${withHook.file} runs ${exe}` };
}

/**
 * Whether Codex recorded trust for a PreToolUse hook of this hooks.json: a
 * `[hooks.state."<file>:pre_tool_use:G:H"]` table with a `trusted_hash` in Codex's config.toml.
 * The hash itself is Codex's (a changed entry needs trusting again); guard can only see that one
 * was recorded.
 */
export function codexTrusts(hooksFile: string, env: NodeJS.ProcessEnv): boolean {
  const codexHome =
    env['CODEX_HOME'] !== undefined && env['CODEX_HOME'] !== '' ? env['CODEX_HOME'] : join(userHome(env), '.codex');
  let text: string;
  try {
    text = readFileSync(join(codexHome, 'config.toml'), 'utf8');
  } catch {
    return false;
  }
  const key = `${hooksFile}:pre_tool_use:`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^\\[hooks\\.state\\."${key}\\d+:\\d+"\\]\\s*\\n(?:[^\\[].*\\n)*?\\s*trusted_hash\\s*=`, 'm').test(
    `${text}\n`,
  );
}

export function hookChecks(env: NodeJS.ProcessEnv, guard: string[], cwd: string): Check[] {
  const checks: Check[] = [];
  for (const agent of AGENTS) {
    const check = agentCheck(agent, agentConfig(agent, guard, env), cwd, env);
    if (check !== undefined) checks.push(check);
  }
  return checks;
}
