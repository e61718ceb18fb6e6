import {
  chmodSync,
  closeSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { KeyStoreError, type KeyStore } from './types.js';

const NAME = /^[A-Za-z0-9._-]{1,200}$/;

/**
 * Secrets as files (mode 0600) in a directory of mode 0700: the fallback when no OS keychain
 * answers. Anyone who can read the file as this user can sign; see docs/ledger.md.
 */
export class FileKeyStore implements KeyStore {
  readonly kind = 'file' as const;

  constructor(readonly dir: string) {}

  private path(name: string): string {
    if (!NAME.test(name)) throw new KeyStoreError(`invalid key name ${JSON.stringify(name)}`);
    return join(this.dir, `${name}.key`);
  }

  /** Create the directory 0700 (or tighten it) and refuse a symlink or a foreign owner. */
  ensureDir(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(this.dir);
    if (!st.isDirectory()) throw new KeyStoreError(`${this.dir} is not a directory`);
    if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
      throw new KeyStoreError(`${this.dir} belongs to another user (uid ${st.uid})`);
    }
    if ((st.mode & 0o077) !== 0) chmodSync(this.dir, 0o700);
  }

  get(name: string): Promise<string | undefined> {
    const p = this.path(name);
    try {
      const st = lstatSync(p);
      if (!st.isFile()) throw new KeyStoreError(`${p} is not a regular file`);
      if ((st.mode & 0o077) !== 0) chmodSync(p, 0o600);
      return Promise.resolve(readFileSync(p, 'utf8').trim());
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Promise.resolve(undefined);
      throw err instanceof KeyStoreError
        ? err
        : new KeyStoreError(`cannot read ${p}: ${(err as Error).message}`, { cause: err });
    }
  }

  put(name: string, secret: string): Promise<void> {
    this.ensureDir();
    const p = this.path(name);
    let fd: number;
    try {
      fd = openSync(p, 'wx', 0o600);
    } catch (err) {
      throw new KeyStoreError(`cannot create ${p}: ${(err as Error).message}`, { cause: err });
    }
    try {
      writeSync(fd, `${secret}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    syncDir(this.dir);
    return Promise.resolve();
  }

  delete(name: string): Promise<void> {
    const p = this.path(name);
    try {
      unlinkSync(p);
      syncDir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new KeyStoreError(`cannot delete ${p}: ${(err as Error).message}`, { cause: err });
      }
    }
    return Promise.resolve();
  }
}

export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
