/** The pinned trust anchor: a file holding the genesis verifier key, read strictly. */
import { createHash } from 'node:crypto';
import { parseVkey, type VerifierKey } from './note.js';

export function genesisFingerprint(vkey: string): string {
  const vk = parseVkey(vkey);
  if (typeof vk === 'string') return 'invalid';
  return `sha256:${createHash('sha256').update(vk.publicKey).digest('hex')}`;
}

export function formatPubkeyFile(vkey: string): string {
  return `# guard ledger genesis key (${genesisFingerprint(vkey)}); pin this file and pass it to \`guard ledger verify --pubkey\`\n${vkey}\n`;
}

/** One vkey line; `#` comment lines allowed; nothing else. Returns a reason string on failure. */
export function parsePubkeyFile(text: string): VerifierKey | string {
  if (text.length > 8192) return 'the public key file is too large';
  if (!text.endsWith('\n')) return 'the public key file does not end with a newline';
  const lines = text
    .slice(0, -1)
    .split('\n')
    .filter((l) => !l.startsWith('#'));
  if (lines.length !== 1) return `the public key file must hold exactly one key line, found ${lines.length}`;
  return parseVkey(lines[0]!);
}
