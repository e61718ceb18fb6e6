/** Where private keys live: the OS keychain (Secret Service, macOS Keychain, Windows) or a 0600 file. */
export type KeyStoreKind = 'keychain' | 'file';

/** A store of secrets (PKCS#8 private keys, base64) under short names such as `ledger-<origin>-<keyid>`. */
export interface KeyStore {
  readonly kind: KeyStoreKind;
  get(name: string): Promise<string | undefined>;
  /** Store durably; refuses to overwrite an existing secret of the same name. */
  put(name: string, secret: string): Promise<void>;
  /** Remove; no error when absent. */
  delete(name: string): Promise<void>;
}

export class KeyStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeyStoreError';
  }
}
