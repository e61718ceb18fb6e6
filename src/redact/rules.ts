import { FailClosedError } from '../errors.js';
import { valueAt } from './keyvalue.js';
import type { PolicyPattern, Span } from './types.js';

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** A random-looking token: long enough, mixed classes, high entropy, not a path or a word. */
export function looksRandom(s: string): boolean {
  if (s.length < 16 || s.length > 4096 || /[\s/]/.test(s)) return false;
  const classes = Number(/[a-z]/.test(s)) + Number(/[A-Z]/.test(s)) + Number(/[0-9]/.test(s));
  return classes >= 2 && entropy(s) >= 3.5;
}

const URL_CRED = /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,30}:\/\/([^\s/?#@'"]{1,1024})@/g;
const AUTH_HEADER =
  /(?<![A-Za-z0-9-])(?:proxy-)?authorization[ \t]{0,8}[:=][ \t]{0,8}(?:(?:bearer|basic|token|digest|negotiate|apikey|api-key|sso-key|bot|key|ntlm|aws4-hmac-sha256|gosign)[ \t]{1,8})?/gi;
const BEARER = /(?<![A-Za-z0-9])bearer[ \t]{1,8}(?=[A-Za-z0-9._~+/=-]{8})/gi;

/** `scheme://user:password@host` → the password; `scheme://<random token>@host` → the token. */
function scanUrlCredentials(s: string, out: Span[]): void {
  for (const m of s.matchAll(URL_CRED)) {
    const info = m[1]!;
    const infoStart = m.index + m[0].length - 1 - info.length;
    const colon = info.indexOf(':');
    if (colon >= 0 && colon < info.length - 1) {
      out.push({
        start: infoStart + colon + 1,
        end: infoStart + info.length,
        kind: 'url-credentials',
        keep: 0,
        priority: 2,
      });
    } else if (colon < 0 && looksRandom(info)) {
      out.push({ start: infoStart, end: infoStart + info.length, kind: 'url-credentials', keep: 0, priority: 2 });
    }
  }
}

function scanAuthHeaders(s: string, out: Span[]): void {
  for (const m of s.matchAll(AUTH_HEADER)) {
    const [start, end] = valueAt(s, m.index + m[0].length, 'line');
    if (end > start) out.push({ start, end, kind: 'auth-header', keep: 0, priority: 2 });
  }
  for (const m of s.matchAll(BEARER)) {
    const [start, end] = valueAt(s, m.index + m[0].length, 'word');
    if (end > start) out.push({ start, end, kind: 'auth-header', keep: 0, priority: 2 });
  }
}

/** Compile policy patterns; a pattern that does not compile is a policy error, never a silent gap. */
export function compilePatterns(patterns: PolicyPattern[] | undefined): { name: string; re: RegExp }[] {
  if (patterns === undefined) return [];
  return patterns.map((p) => {
    try {
      return { name: p.name, re: new RegExp(p.regex, 'gd') };
    } catch (err) {
      throw new FailClosedError(
        `redaction pattern "${p.name}" is not a valid regular expression: ${(err as Error).message}`,
        {
          hint: 'Fix the pattern in the policy file; nothing runs while a redaction pattern is broken.',
          details: { pattern: p.name },
        },
      );
    }
  });
}

function scanPolicy(s: string, compiled: { name: string; re: RegExp }[], out: Span[]): void {
  for (const { name, re } of compiled) {
    for (const m of s.matchAll(re)) {
      const range = m.indices?.[1] ?? m.indices?.[0];
      if (range === undefined || range[1] <= range[0]) continue;
      out.push({ start: range[0], end: range[1], kind: `policy:${name.slice(0, 40)}`, keep: 0, priority: 3 });
    }
  }
}

/** Context rules that do not need shell tokens. */
export function scanContextRules(s: string, compiled: { name: string; re: RegExp }[], out: Span[]): void {
  if (s.includes('://')) scanUrlCredentials(s, out);
  if (/authorization|bearer/i.test(s)) scanAuthHeaders(s, out);
  scanPolicy(s, compiled, out);
}
