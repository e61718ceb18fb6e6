/**
 * `guard init --agent shell`: GUARD_HOME/bin/guard-shell, one executable that tools can take as
 * their shell (`SHELL=…`, a "shell path" setting). It runs `guard shell "$@"`, i.e. `sh -c` with
 * every command judged. The node binary is written out in full so PATH changes cannot swap it.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { guardPaths } from '../../config/paths.js';
import { shQuote } from '../rewrite.js';
import type { Check } from './check.js';

export function shellWrapperPath(env: NodeJS.ProcessEnv): string {
  return join(guardPaths(env).home, 'bin', 'guard-shell');
}

export function shellWrapperText(node: string, guard: string[]): string {
  return `#!/bin/sh
# guard-shell: a drop-in for \`sh -c\` that runs every command through guard (written by guard init).
exec ${[node, ...guard].map(shQuote).join(' ')} shell "$@"
`;
}

export function installShellWrapper(env: NodeJS.ProcessEnv, node: string, guard: string[], print: boolean): Check {
  const file = shellWrapperPath(env);
  const text = shellWrapperText(node, guard);
  const use = `set it as the shell of the tool or agent, e.g. SHELL=${file}`;
  if (print) return { name: 'agent', status: 'ok', detail: `would write ${file}:\n${text}${use}` };
  const same = existsSync(file) && readFileSync(file, 'utf8') === text;
  if (!same) {
    mkdirSync(join(guardPaths(env).home, 'bin'), { recursive: true, mode: 0o700 });
    writeFileSync(file, text, { mode: 0o755 });
    chmodSync(file, 0o755);
  }
  return { name: 'agent', status: 'ok', detail: `${same ? 'kept' : 'wrote'} ${file}; ${use}` };
}
