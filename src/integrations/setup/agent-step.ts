/** `guard init --agent …`: write (or print) the agent's hook configuration. */
import { createInterface } from 'node:readline/promises';
import type { Io } from '../../cli/io.js';
import { agentConfig, snippet } from '../config/agents.js';
import { hasCurrentHook, parseSettings } from '../config/merge.js';
import { installHook } from '../config/write.js';
import { execClient } from '../self.js';
import type { AgentName } from '../types.js';
import { errorText, type Check } from './check.js';
import { installShellWrapper } from './shell-wrapper.js';
import { readFileSync } from 'node:fs';

export const INIT_AGENTS = ['claude-code', 'gemini', 'codex', 'cursor', 'shell'] as const;
export type InitAgent = (typeof INIT_AGENTS)[number];

export interface AgentStepOptions {
  yes: boolean;
  print: boolean;
  /** How to start guard (absolute), and the node binary for the shell wrapper. */
  guard: string[];
  node: string;
}

async function confirm(io: Io, question: string): Promise<boolean> {
  if ((io.stdin as { isTTY?: boolean }).isTTY !== true) return false;
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export async function configureAgent(
  io: Io,
  agent: InitAgent,
  o: AgentStepOptions,
): Promise<{ checks: Check[]; notes: string[] }> {
  if (agent === 'shell') return { checks: [installShellWrapper(io.env, o.node, o.guard, o.print)], notes: [] };
  // the hook runs the native client when it was built (it answers allowed commands itself and
  // hands the rest to the Node hook; decision 0036), else the Node entry
  const c = agentConfig(agent satisfies AgentName, execClient(o.guard), io.env);
  if (o.print) {
    const text = JSON.stringify(snippet(c), null, 2);
    return {
      checks: [{ name: 'agent', status: 'ok', detail: `add this to ${c.file} (merge with what is there):\n${text}` }],
      notes: c.notes,
    };
  }
  try {
    const text = readText(c.file);
    if (text !== undefined && !hasCurrentHook(parseSettings(text, c.file), c) && !o.yes) {
      const ok = await confirm(io, `guard init will add its hook to ${c.file} (a backup is kept). Go ahead?`);
      if (!ok) {
        return {
          checks: [
            {
              name: 'agent',
              status: 'fail',
              detail: `${c.file} was not changed`,
              hint: `re-run with --yes to update it (a backup is kept), or with --print to see the entry and add it yourself`,
            },
          ],
          notes: [],
        };
      }
    }
    const r = installHook(c, new Date());
    const detail =
      r.status === 'unchanged'
        ? `${c.file} already runs the guard hook`
        : `${r.status} ${c.file}${r.backup === undefined ? '' : ` (backup: ${r.backup})`}`;
    return { checks: [{ name: 'agent', status: 'ok', detail }], notes: c.notes };
  } catch (err) {
    const e = errorText(err);
    return { checks: [{ name: 'agent', status: 'fail', detail: e.message, hint: e.hint }], notes: [] };
  }
}
