/**
 * The absolute command that starts this guard, for rewritten commands and written configs.
 * GUARD_SELF overrides it (an absolute path to an executable guard); otherwise the script Node
 * was started with (bin/guard.js, or the `guard` symlink npm installs), made absolute.
 */
import { accessSync, constants } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
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

/**
 * The `guard exec` client to put in front of an agent's commands: the native client
 * (dist/guard-native, built by `npm run build` when a Rust toolchain is present) when `guard` is
 * the Node entry (bin/guard.js) of a checkout or package that has it, else `guard` itself.
 * The native client hands anything it does not handle to bin/guard.js (docs/decisions/0020).
 */
export function execClient(guard: string[]): string[] {
  const [entry] = guard;
  if (guard.length !== 1 || entry === undefined || basename(entry) !== 'guard.js') return guard;
  const native = nativeClientPath(entry);
  return native === undefined ? guard : [native];
}

/** The native exec client next to a bin/guard.js, when it is there and executable. */
export function nativeClientPath(entry: string): string | undefined {
  const native = resolve(dirname(entry), '..', 'dist', 'guard-native');
  try {
    accessSync(native, constants.X_OK);
    return native;
  } catch {
    return undefined;
  }
}
