import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

/**
 * Salted, deliberately slow hash of a secret so that an auditor holding a suspected value can
 * confirm it, while a low-entropy password cannot be brute-forced cheaply from the ledger.
 * Format: `scrypt$<log2 N>$<r>$<p>$<base64url digest>`; the salt travels next to it.
 * See docs/decisions/0301-secret-hash-scheme.md.
 */
const LOG_N = 12;
const R = 8;
const P = 1;
const KEY_LEN = 32;
const SALT_LEN = 16;

export function hashSecret(secret: string): { hash: string; salt: string } {
  const salt = randomBytes(SALT_LEN);
  const digest = scryptSync(secret, salt, KEY_LEN, { N: 2 ** LOG_N, r: R, p: P });
  return { hash: `scrypt$${LOG_N}$${R}$${P}$${digest.toString('base64url')}`, salt: salt.toString('base64url') };
}

/**
 * Hashing is the expensive part of redaction (~8 ms a secret). A request that carries more
 * secrets than the budget still has every one of them hidden; the ones past the budget get the
 * hash `unhashed` (they cannot be confirmed later). See docs/decisions/0302-redaction-limits.md.
 */
export const HASH_BUDGET = 64;

export function makeHasher(budget = HASH_BUDGET): (secret: string) => { hash: string; salt: string } {
  let left = budget;
  return (secret) => {
    if (left <= 0) return { hash: 'unhashed', salt: '' };
    left--;
    return hashSecret(secret);
  };
}

/** True when `suspected` is the secret that produced the finding. Never throws. */
export function confirmSecret(finding: { hash: string; salt: string }, suspected: string): boolean {
  const m = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]{16,128})$/.exec(finding.hash);
  if (m === null || !/^[A-Za-z0-9_-]{8,64}$/.test(finding.salt)) return false;
  const logN = Number(m[1]);
  const r = Number(m[2]);
  const p = Number(m[3]);
  // refuse parameters that would make an auditor's machine spin or exhaust memory
  if (logN < 10 || logN > 20 || r < 1 || r > 16 || p < 1 || p > 4) return false;
  const expected = Buffer.from(m[4]!, 'base64url');
  try {
    const got = scryptSync(suspected, Buffer.from(finding.salt, 'base64url'), expected.length, {
      N: 2 ** logN,
      r,
      p,
      maxmem: 256 * 1024 * 1024,
    });
    return got.length === expected.length && timingSafeEqual(got, expected);
  } catch {
    return false;
  }
}
