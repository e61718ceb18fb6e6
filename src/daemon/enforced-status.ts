/**
 * What `status` tells a caller about enforced mode (docs/decisions/1022-doctor-enforced.md): the
 * runner user, each credential's name, kind and target variable (never a value or hash),
 * and the paths whose contents only the daemon may read. `guard doctor`, run as the agent, uses it
 * to check that none of those paths is readable to it and no credential variable is in its
 * environment.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { guardPaths } from '../config/paths.js';
import type { DaemonContext } from './context.js';
import { executorConfig } from './executor.js';
import type { EnforcedStatus } from './replies.js';

export type { EnforcedStatus } from './replies.js';

export function enforcedStatus(ctx: DaemonContext): EnforcedStatus | undefined {
  const runner = executorConfig(ctx.env).runner;
  if (runner === undefined) return undefined;
  const paths = guardPaths({ ...ctx.env, GUARD_HOME: ctx.home });
  const dir = join(ctx.home, 'credentials');
  const out: EnforcedStatus = { runner, credentials: [], private: [dir, paths.keysDir, paths.ledgerDb] };
  try {
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as {
      credentials: { name: string; kind: string; target: string; version: number }[];
    };
    out.credentials = index.credentials.map((c) => ({ name: c.name, kind: c.kind, target: c.target }));
    // named too, so a readable file is found even in a directory the agent may enter but not list
    out.private.push(join(dir, 'index.json'));
    for (const c of index.credentials) out.private.push(join(dir, `credential-${c.name}-v${c.version}.key`));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') out.error = (err as Error).message;
  }
  return out;
}
