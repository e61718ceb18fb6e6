import type { AsyncEntry as AsyncEntryType } from '@napi-rs/keyring';
import { KeyStoreError, type KeyStore } from './types.js';

const SERVICE = 'guard';
const TIMEOUT_MS = 5_000;

type AsyncEntryCtor = typeof AsyncEntryType;

/**
 * The OS keychain through @napi-rs/keyring. On Linux the Secret Service is required (never the
 * kernel keyring, whose keys vanish at logout/reboot and would orphan the ledger).
 */
export class KeychainKeyStore implements KeyStore {
  readonly kind = 'keychain' as const;

  private constructor(private readonly Entry: AsyncEntryCtor) {}

  /** Load the native module and check the keychain answers a write/read/delete round trip. */
  static async open(): Promise<KeychainKeyStore> {
    let Entry: AsyncEntryCtor;
    try {
      ({ AsyncEntry: Entry } = await import('@napi-rs/keyring'));
    } catch (err) {
      throw new KeyStoreError(`the keychain module cannot be loaded: ${(err as Error).message}`, { cause: err });
    }
    const store = new KeychainKeyStore(Entry);
    const probe = `probe-${process.pid}-${Date.now()}`;
    await store.put(probe, 'probe');
    const back = await store.get(probe);
    await store.delete(probe);
    if (back !== 'probe') throw new KeyStoreError('the keychain did not return what was stored');
    return store;
  }

  private entry(name: string) {
    return new this.Entry(SERVICE, name, { linux: { store: 'secret-service' } });
  }

  async get(name: string): Promise<string | undefined> {
    try {
      const v = await this.entry(name).getPassword(AbortSignal.timeout(TIMEOUT_MS));
      return v ?? undefined;
    } catch (err) {
      throw new KeyStoreError(`keychain read failed: ${(err as Error).message}`, { cause: err });
    }
  }

  async put(name: string, secret: string): Promise<void> {
    try {
      const e = this.entry(name);
      if ((await e.getPassword(AbortSignal.timeout(TIMEOUT_MS))) != null)
        throw new Error(`an entry named ${name} exists`);
      await e.setPassword(secret, AbortSignal.timeout(TIMEOUT_MS));
    } catch (err) {
      throw new KeyStoreError(`keychain write failed: ${(err as Error).message}`, { cause: err });
    }
  }

  async delete(name: string): Promise<void> {
    try {
      await this.entry(name).deleteCredential(AbortSignal.timeout(TIMEOUT_MS));
    } catch (err) {
      throw new KeyStoreError(`keychain delete failed: ${(err as Error).message}`, { cause: err });
    }
  }
}
