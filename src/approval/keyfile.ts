/**
 * Where an approver's encrypted private key lives: in the approver's own configuration, never
 * under GUARD_HOME (which belongs to the daemon and, in single-user mode, to the agent's user).
 */
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { UsageError } from '../errors.js';
import { APPROVER_NAME } from './schema.js';

export function approverHome(env: NodeJS.ProcessEnv): string {
  const explicit = env['GUARD_APPROVER_HOME'];
  if (explicit !== undefined && explicit !== '') return explicit;
  const xdg = env['XDG_CONFIG_HOME'];
  const base = xdg !== undefined && xdg !== '' ? xdg : join(env['HOME'] ?? homedir(), '.config');
  return join(base, 'guard-approver');
}

export function approverKeyPath(env: NodeJS.ProcessEnv, name: string): string {
  if (!APPROVER_NAME.test(name))
    throw new UsageError(`invalid approver name "${name}"`, { hint: 'use letters, digits, . _ - (max 64)' });
  return join(approverHome(env), `${name}.key`);
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
