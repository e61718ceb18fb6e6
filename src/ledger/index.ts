export * from './types.js';
export { openLedger, type Ledger, type OpenLedgerOptions } from './ledger.js';
export type { ReadOptions } from './read.js';
export {
  LedgerWriteError,
  LedgerCorruptError,
  LedgerValueError,
  LedgerKeyError,
  VerifyFailedError,
  TrustAnchorError,
} from './errors.js';
export { verifyLedger, type VerifyResult } from './verify.js';
export { verifyBundle } from './bundle.js';
export { exportLedger } from './export.js';
export { parsePubkeyFile, formatPubkeyFile, genesisFingerprint } from './pubkey.js';
export type { KeyStoreKind } from '../keys/index.js';
