/**
 * Merge guard's hook entry into an agent's JSON settings without disturbing anything else:
 * earlier guard entries for the same agent are replaced, other hooks and settings are kept,
 * and a file that is not valid JSON is never rewritten.
 */
import { isDeepStrictEqual } from 'node:util';
import { UsageError } from '../../errors.js';
import { snippet, type AgentConfig } from './agents.js';

/** A hook command guard wrote for this agent (any guard path, the native client's too, quoted or not). */
export function isGuardHookCommand(command: unknown, agent: string): boolean {
  if (typeof command !== 'string') return false;
  const escaped = agent.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[/'"\\s])guard(\\.js|-native)?'?\\s+hook\\s+${escaped}(\\s|$)`).test(command);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseSettings(text: string | undefined, file: string): Record<string, unknown> {
  if (text === undefined || text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not valid JSON (${(err as Error).message}); guard did not change it`, {
      hint: 'fix the file, or add the entry by hand: `guard init --agent <agent> --print` shows it',
    });
  }
  if (!isObject(value)) throw new UsageError(`${file} does not hold a JSON object; guard did not change it`);
  return value;
}

/** Remove guard's earlier entries for this agent from one event's list. */
function withoutGuard(list: unknown[], c: AgentConfig): unknown[] {
  const out: unknown[] = [];
  for (const entry of list) {
    if (c.matcher === undefined) {
      if (!(isObject(entry) && isGuardHookCommand(entry['command'], c.agent))) out.push(entry);
      continue;
    }
    if (!isObject(entry) || !Array.isArray(entry['hooks'])) {
      out.push(entry);
      continue;
    }
    const hooks = entry['hooks'].filter((h) => !(isObject(h) && isGuardHookCommand(h['command'], c.agent)));
    if (hooks.length === entry['hooks'].length) out.push(entry);
    else if (hooks.length > 0) out.push({ ...entry, hooks });
  }
  return out;
}

/** The settings with guard's entry in place (a new object; the input is not modified). */
export function mergeHook(settings: Record<string, unknown>, c: AgentConfig): Record<string, unknown> {
  const existingHooks = settings['hooks'];
  if (existingHooks !== undefined && !isObject(existingHooks))
    throw new UsageError(`"hooks" in ${c.file} is not an object; guard did not change the file`);
  const hooks: Record<string, unknown> = { ...(existingHooks ?? {}) };
  for (const event of [c.event, ...(c.alsoEvents ?? [])]) {
    const current = hooks[event];
    if (current !== undefined && !Array.isArray(current))
      throw new UsageError(`"hooks.${event}" in ${c.file} is not a list; guard did not change the file`);
    const ours = (snippet(c)['hooks'] as Record<string, unknown[]>)[event]!;
    hooks[event] = [...withoutGuard(current ?? [], c), ...ours];
  }
  let merged: Record<string, unknown> = { ...c.base, ...settings, hooks };
  for (const m of c.minimums) merged = raised(merged, m.path, m.value, c.file);
  return merged;
}

/** `settings` with the number at `path` at least `value` (new objects along the path). */
function raised(
  settings: Record<string, unknown>,
  path: string[],
  value: number,
  file: string,
): Record<string, unknown> {
  const [key, ...rest] = path as [string, ...string[]];
  const current = settings[key];
  if (rest.length === 0)
    return typeof current === 'number' && current >= value ? settings : { ...settings, [key]: value };
  if (current !== undefined && !isObject(current))
    throw new UsageError(`"${path[0]}" in ${file} is not an object; guard did not change the file`);
  return { ...settings, [key]: raised(current ?? {}, rest, value, file) };
}

/** Whether guard's current entry is already there, unchanged. */
export function hasCurrentHook(settings: Record<string, unknown>, c: AgentConfig): boolean {
  return isDeepStrictEqual(mergeHook(settings, c), settings);
}

/** Whether any guard entry for this agent is configured (for doctor). */
export function findGuardCommands(settings: Record<string, unknown>, c: AgentConfig): string[] {
  const hooks = settings['hooks'];
  if (!isObject(hooks)) return [];
  const list = hooks[c.event];
  if (!Array.isArray(list)) return [];
  const found: string[] = [];
  for (const entry of list) {
    if (!isObject(entry)) continue;
    const handlers = c.matcher === undefined ? [entry] : Array.isArray(entry['hooks']) ? entry['hooks'] : [];
    // an older install matched the shell tool alone ("Bash"): still guard's hook for it
    if (c.matcher !== undefined && entry['matcher'] !== c.matcher && entry['matcher'] !== c.matcher.split('|')[0])
      continue;
    for (const h of handlers)
      if (isObject(h) && isGuardHookCommand(h['command'], c.agent)) found.push(h['command'] as string);
  }
  return found;
}
