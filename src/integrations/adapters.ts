import { claudeAdapter } from './claude.js';
import { codexAdapter } from './codex.js';
import { cursorAdapter } from './cursor.js';
import { geminiAdapter } from './gemini.js';
import type { AgentAdapter, AgentName } from './types.js';

const ADAPTERS: Record<AgentName, AgentAdapter> = {
  'claude-code': claudeAdapter,
  gemini: geminiAdapter,
  codex: codexAdapter,
  cursor: cursorAdapter,
};

export function adapterFor(name: string): AgentAdapter | undefined {
  return Object.hasOwn(ADAPTERS, name) ? ADAPTERS[name as AgentName] : undefined;
}
