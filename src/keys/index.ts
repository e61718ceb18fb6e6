/**
 * Key store selection: the OS keychain when it answers, otherwise 0600 files under GUARD_HOME with
 * a one-time warning. GUARD_KEYSTORE=file|keychain forces a kind (keychain then fails when absent).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { guardPaths } from '../config/paths.js';
import { FileKeyStore } from './file.js';
import { KeychainKeyStore } from './keychain.js';
import { KeyStoreError, type KeyStore, type KeyStoreKind } from './types.js';

export { FileKeyStore } from './file.js';
export { KeychainKeyStore } from './keychain.js';
export { KeyStoreError, type KeyStore, type KeyStoreKind } from './types.js';

const WARNED_MARKER = '.file-fallback-warned';

export interface OpenKeyStoreOptions {
  env: NodeJS.ProcessEnv;
  /** A kind already in use (recorded by the ledger): never switch stores under existing keys. */
  kind?: KeyStoreKind;
  warn?: (message: string) => void;
}

export async function openKeyStore(opts: OpenKeyStoreOptions): Promise<KeyStore> {
  const forced = opts.env['GUARD_KEYSTORE'];
  if (forced !== undefined && forced !== '' && forced !== 'file' && forced !== 'keychain') {
    throw new KeyStoreError(`GUARD_KEYSTORE must be "file" or "keychain", not ${JSON.stringify(forced)}`);
  }
  const want: KeyStoreKind | undefined = opts.kind ?? (forced === '' ? undefined : forced);
  const files = new FileKeyStore(guardPaths(opts.env).keysDir);
  if (want === 'file') {
    files.ensureDir();
    return files;
  }
  try {
    return await KeychainKeyStore.open();
  } catch (err) {
    if (want === 'keychain') throw err;
    files.ensureDir();
    const marker = join(files.dir, WARNED_MARKER);
    if (!existsSync(marker)) {
      const warn = opts.warn ?? ((m: string) => process.stderr.write(`guard: ${m}\n`));
      warn(
        `no OS keychain answered (${(err as Error).message}); the ledger signing key is kept in a 0600 file in ${files.dir}. ` +
          'Anyone who can read that file as this user can sign ledger checkpoints (see the hardened mode in the docs).',
      );
      writeFileSync(marker, `${new Date().toISOString()}\n`, { mode: 0o600 });
    }
    return files;
  }
}
