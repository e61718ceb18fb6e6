/**
 * Write an agent's settings file safely: the original bytes are copied to a timestamped backup
 * first, the new content is written to a temporary file and renamed over the target (so a crash
 * never leaves half a file), the file keeps its permissions, and a symlink keeps pointing where
 * it did (the file it points to is updated).
 */
import {
  copyFileSync,
  constants,
  lstatSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type { AgentConfig } from './agents.js';
import { hasCurrentHook, mergeHook, parseSettings } from './merge.js';

export interface InstallResult {
  file: string;
  status: 'created' | 'updated' | 'unchanged';
  backup: string | undefined;
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function stamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
}

/** The real file behind a symlinked settings file (dotfile managers link them). */
function target(file: string): string {
  try {
    return lstatSync(file).isSymbolicLink() ? realpathSync(file) : file;
  } catch {
    return file;
  }
}

export function installHook(c: AgentConfig, now: Date): InstallResult {
  const file = target(c.file);
  const text = readIfExists(file);
  const settings = parseSettings(text, c.file);
  if (text !== undefined && hasCurrentHook(settings, c))
    return { file: c.file, status: 'unchanged', backup: undefined };
  const merged = mergeHook(settings, c);
  let backup: string | undefined;
  let mode = 0o600;
  if (text !== undefined) {
    mode = statSync(file).mode & 0o777;
    backup = `${file}.guard-backup-${stamp(now)}`;
    copyFileSync(file, backup, constants.COPYFILE_EXCL);
  } else {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  }
  const tmp = `${file}.guard-tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(merged, null, 2)}\n`, { mode, flag: 'wx' });
  renameSync(tmp, file);
  return { file: c.file, status: text === undefined ? 'created' : 'updated', backup };
}
