/**
 * `guard hook <agent>` without commander: the hook runs before every shell command an agent runs,
 * and loading the full CLI (commander and every command's declaration) is most of what guard adds
 * to Node's own start-up there. This parser accepts exactly the well-formed forms of the hook's
 * options; anything else (help, an unknown or malformed flag, a missing or extra agent) returns
 * undefined and the full CLI handles it, with its own messages and exit codes.
 * test/cli/fast-hook.test.ts checks that both parsers agree.
 */
import { describeError } from '../errors.js';
import { takeValued } from './fast-options.js';
import type { Io } from './io.js';
import { report } from './report.js';
import type { HookCommandOptions } from './specs/hook.js';

/** Options taking a value, by long name → the key commander stores it under. */
const VALUED: Record<string, 'allowed' | 'deadlineMs'> = { '--allowed': 'allowed', '--deadline-ms': 'deadlineMs' };

export interface ParsedHook {
  agent: string;
  opts: HookCommandOptions;
}

/** Parse the arguments after `hook`; undefined when the full CLI must decide. */
export function parseHookArgs(args: readonly string[]): ParsedHook | undefined {
  // commander's defaults (src/cli/specs/hook.ts)
  const opts: HookCommandOptions = { allowed: 'pass', deadlineMs: '20000' };
  let agent: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-')) {
      if (agent !== undefined) return undefined;
      agent = a;
      continue;
    }
    const next = takeValued(args, i, VALUED, opts);
    if (next === undefined) return undefined;
    i = next;
  }
  if (agent === undefined) return undefined;
  return { agent, opts };
}

/** Run `guard hook` if the arguments are the plain, well-formed kind; undefined otherwise. */
export async function fastHook(args: readonly string[], io: Io): Promise<number | undefined> {
  const parsed = parseHookArgs(args);
  if (parsed === undefined) return undefined;
  try {
    // hookCommand answers every failure of its own in the agent's blocking form
    const { hookCommand } = await import('./commands/hook.js');
    return await hookCommand(io, parsed.agent, parsed.opts);
  } catch (err) {
    // as the full CLI does (src/cli/run.ts)
    report(io, err, false);
    return describeError(err).exitCode;
  }
}
