/**
 * Where an approver's encrypted private key lives: in the approver's own configuration, never
 * under GUARD_HOME (which belongs to the daemon and, in single-user mode, to the agent's user).
 * An explicit GUARD_HOME (a separate installation: the tour's `mktemp -d`, a test, a second
 * daemon) gets its own directory of approver keys there, so installations never collide
 * (docs/decisions/0008).
 */
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { APPROVER_NAME } from './schema.js';

function baseApproverHome(env: NodeJS.ProcessEnv): string {
  const xdg = env['XDG_CONFIG_HOME'];
  const base = xdg !== undefined && xdg !== '' ? xdg : join(env['HOME'] ?? homedir(), '.config');
  return join(base, 'guard-approver');
}

/**
 * $GUARD_APPROVER_HOME; else, with an explicit GUARD_HOME, `guard-approver/homes/<digest of that
 * path>` in the config directory; else `guard-approver` there.
 */
export function approverHome(env: NodeJS.ProcessEnv): string {
  const explicit = env['GUARD_APPROVER_HOME'];
  if (explicit !== undefined && explicit !== '') return explicit;
  const home = env['GUARD_HOME'];
  if (home === undefined || home === '') return baseApproverHome(env);
  const tag = createHash('sha256').update(resolve(home)).digest('hex').slice(0, 16);
  return join(baseApproverHome(env), 'homes', tag);
}

function checkName(name: string): void {
  if (!APPROVER_NAME.test(name))
    throw new UsageError(`invalid approver name "${name}"`, { hint: 'use letters, digits, . _ - (max 64)' });
}

/** Where enrolment writes a new key. */
export function newApproverKeyPath(env: NodeJS.ProcessEnv, name: string): string {
  checkName(name);
  return join(approverHome(env), `${name}.key`);
}

/**
 * Where an approver's key is read from: the installation's own directory, or (keys enrolled
 * before installations had their own) the shared one.
 */
export function approverKeyPath(env: NodeJS.ProcessEnv, name: string): string {
  const own = newApproverKeyPath(env, name);
  if (existsSync(own) || approverHome(env) === baseApproverHome(env)) return own;
  const shared = join(baseApproverHome(env), `${name}.key`);
  return existsSync(shared) ? shared : own;
}

/** Write a new key file (0600) in a 0700 directory. Never overwrites an existing key. */
export function writeKeyFile(path: string, encrypted: string): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new UsageError(`an approver key already exists at ${path}`, {
        hint: 'choose another name, or move the old key away if it is really unused',
      });
    }
    throw err;
  }
  try {
    writeSync(fd, encrypted);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UsageError(`no approver key at ${path}`, {
        hint: 'run it as the human who enrolled, or set GUARD_APPROVER_HOME to where their key lives',
      });
    }
    throw err;
  }
}
