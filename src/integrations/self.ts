/**
 * The absolute command that starts this guard, for rewritten commands and written configs.
 * GUARD_SELF overrides it (an absolute path to an executable guard); otherwise the script Node
 * was started with (bin/guard.js, or the `guard` symlink npm installs), made absolute.
 */
import { accessSync, constants } from 'node:fs';
import { basename, isAbsolute, resolve } from 'node:path';
import { FailClosedError } from '../errors.js';

export function guardSelf(env: NodeJS.ProcessEnv, argv1: string | undefined, cwd: string): string[] {
  const explicit = env['GUARD_SELF'];
  const candidate = explicit !== undefined && explicit !== '' ? explicit : argv1;
  if (candidate === undefined || candidate === '' || !/^guard(\.js)?$/.test(basename(candidate))) {
    throw new FailClosedError('cannot tell where the guard executable is', {
      hint: 'run guard through its `guard` command (or bin/guard.js), or set GUARD_SELF to its absolute path',
    });
  }
  if (explicit !== undefined && explicit !== '' && !isAbsolute(explicit))
    throw new FailClosedError(`GUARD_SELF must be an absolute path, got ${JSON.stringify(explicit)}`);
  const path = resolve(cwd, candidate);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new FailClosedError(`${path} is not an executable guard`, {
      hint: 'make it executable (chmod +x) or set GUARD_SELF to the installed guard',
    });
  }
  return [path];
}
