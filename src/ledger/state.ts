/** `--state FILE`: the last verified size and root, so that a later rollback, fork or truncation is caught. */
import { decodeBase64Strict, encodeBase64 } from './b64.js';
import { isValidOrigin } from './note.js';

export interface VerifiedState {
  origin: string;
  size: number;
  root: Buffer;
}

const HEADER = 'guard-ledger-state 1';

export function formatState(s: VerifiedState): string {
  return `${HEADER}\norigin ${s.origin}\nsize ${s.size}\nroot ${encodeBase64(s.root)}\n`;
}

export function parseState(text: string): VerifiedState | string {
  const m = /^guard-ledger-state 1\norigin (\S+)\nsize (0|[1-9][0-9]{0,15})\nroot (\S+)\n$/.exec(text);
  if (m === null) return `not a ${HEADER} file`;
  const root = decodeBase64Strict(m[3]!);
  const size = Number(m[2]);
  if (!isValidOrigin(m[1]!) || root === undefined || root.length !== 32 || !Number.isSafeInteger(size) || size < 1) {
    return 'malformed origin, size or root';
  }
  return { origin: m[1]!, size, root };
}
