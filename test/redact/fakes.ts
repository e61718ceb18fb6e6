/**
 * Fake secrets assembled at test time, so that the repository holds only placeholders and no
 * secret scanner ever sees a token-shaped string in it. Deterministic (seeded) for reproducible
 * failures. Bodies match the real formats (length, alphabet) but are never real credentials.
 */
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_NUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const B64 = ALNUM + '+/';
const B64URL = ALNUM + '-_';
const HEX = '0123456789abcdef';

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick(r: () => number, alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
}

const b64url = (s: string): string => Buffer.from(s).toString('base64url');
const cat = (...parts: string[]): string => parts.join('');

/** Placeholder → generator. Secret placeholders. */
export const SECRET_FAKES: Record<string, (r: () => number) => string> = {
  AKIA: (r) => cat('AK', 'IA', pick(r, UPPER_NUM, 16)),
  ASIA: (r) => cat('AS', 'IA', pick(r, UPPER_NUM, 16)),
  AWSSECRET: (r) => pick(r, B64, 40),
  GHP: (r) => cat('gh', 'p_', pick(r, ALNUM, 36)),
  GHO: (r) => cat('gh', 'o_', pick(r, ALNUM, 36)),
  GHU: (r) => cat('gh', 'u_', pick(r, ALNUM, 36)),
  GHS: (r) => cat('gh', 's_', pick(r, ALNUM, 36)),
  GHR: (r) => cat('gh', 'r_', pick(r, ALNUM, 36)),
  GHPAT: (r) => cat('github', '_pat_', pick(r, ALNUM, 22), '_', pick(r, ALNUM, 59)),
  GLPAT: (r) => cat('gl', 'pat-', pick(r, ALNUM, 20)),
  XOXB: (r) => cat('xo', 'xb-', pick(r, '0123456789', 12), '-', pick(r, '0123456789', 13), '-', pick(r, ALNUM, 24)),
  XOXP: (r) => cat('xo', 'xp-', pick(r, '0123456789', 12), '-', pick(r, '0123456789', 12), '-', pick(r, HEX, 32)),
  XAPP: (r) => cat('xa', 'pp-1-', pick(r, UPPER_NUM, 11), '-', pick(r, '0123456789', 13), '-', pick(r, HEX, 64)),
  SLACKHOOK: (r) =>
    cat(
      'https://hooks.',
      'slack.com/services/T',
      pick(r, UPPER_NUM, 8),
      '/B',
      pick(r, UPPER_NUM, 8),
      '/',
      pick(r, ALNUM, 24),
    ),
  SKLIVE: (r) => cat('sk', '_live_', pick(r, ALNUM, 24)),
  RKLIVE: (r) => cat('rk', '_live_', pick(r, ALNUM, 24)),
  SKTEST: (r) => cat('sk', '_test_', pick(r, ALNUM, 24)),
  AIZA: (r) => cat('AI', 'za', pick(r, B64URL, 35)),
  JWT: (r) =>
    [
      b64url('{"alg":"HS256","typ":"JWT"}'),
      b64url(`{"sub":"${pick(r, HEX, 8)}","name":"Test User","iat":1700000000}`),
      pick(r, B64URL, 43),
    ].join('.'),
  PEM: (r) => {
    const lines = Array.from({ length: 6 }, () => pick(r, B64, 64)).join('\n');
    return cat('-----BEGIN RSA ', 'PRIVATE KEY-----\n', lines, '\n-----END RSA ', 'PRIVATE KEY-----');
  },
  NPM: (r) => cat('np', 'm_', pick(r, ALNUM, 36)),
  OPENAI: (r) => cat('sk', '-proj-', pick(r, ALNUM, 20), '1', pick(r, B64URL, 27)),
  HVS: (r) => cat('hv', 's.', pick(r, ALNUM, 90)),
  PW: (r) => cat('Pw', pick(r, ALNUM, 10), '!'),
  TOKEN: (r) => pick(r, ALNUM, 32),
};

/** Look-alike placeholders: high-entropy strings that are not secrets. */
export const LOOKALIKE_FAKES: Record<string, (r: () => number) => string> = {
  SHA1: (r) => pick(r, HEX, 40),
  SHORTSHA: (r) => pick(r, HEX, 7),
  SHA256: (r) => pick(r, HEX, 64),
  UUID: (r) =>
    [pick(r, HEX, 8), pick(r, HEX, 4), '4' + pick(r, HEX, 3), '8' + pick(r, HEX, 3), pick(r, HEX, 12)].join('-'),
  B64BLOB: (r) => pick(r, B64, 120) + '==',
  DIGEST: (r) => 'sha256:' + pick(r, HEX, 64),
};

/** Expand `{NAME}` placeholders; the same name in one line gets the same value. */
export function expand(
  text: string,
  fakes: Record<string, (r: () => number) => string>,
  seed: number,
  memo: Map<string, string> = new Map(),
): string {
  const r = rng(seed);
  return text.replace(/\{([A-Z0-9]+)\}/g, (whole, name: string) => {
    const gen = fakes[name];
    if (gen === undefined) return whole;
    let v = memo.get(name);
    if (v === undefined) {
      v = gen(r);
      memo.set(name, v);
    }
    return v;
  });
}
