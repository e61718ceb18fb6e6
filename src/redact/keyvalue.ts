import { isSecretName, secretAssignmentKind } from './names.js';
import type { Span } from './types.js';

/**
 * `NAME=value`, `--flag=value`, `"key": "value"`, `key: value` and `Header: value` anywhere in a
 * string, judged by the name. Scans from each `=` / `:` backwards over the name, so the work is
 * linear in the input (a name cannot contain `=` or `:`, so no character is scanned twice).
 */
const MAX_NAME = 128;
const MAX_VALUE = 16384;

const isNameChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45 || c === 46;
/** Characters that end an unquoted shell word. */
const WORD_END = new Set([' ', '\t', '\n', '\r', "'", '"', ';', '&', '|', '<', '>', '(', ')', '`']);

/** End of a quoted value starting at `i` (the quote), exclusive of the closing quote; escapes honoured in "". */
function quotedEnd(s: string, i: number): number {
  const q = s[i];
  const limit = Math.min(s.length, i + 1 + MAX_VALUE);
  for (let j = i + 1; j < limit; j++) {
    if (q === '"' && s[j] === '\\') {
      j++;
      continue;
    }
    if (s[j] === q) return j;
  }
  return limit; // unterminated: take everything up to the cap (fail closed)
}

/** [start, end) of the value beginning at i. */
export function valueAt(s: string, i: number, mode: 'word' | 'line' | 'json'): [number, number] {
  const c = s[i];
  if (c === "'" || c === '"') return [i + 1, quotedEnd(s, i)];
  const limit = Math.min(s.length, i + MAX_VALUE);
  let j = i;
  for (; j < limit; j++) {
    const ch = s[j]!;
    if (mode === 'word' ? WORD_END.has(ch) : ch === '\n' || ch === '\r' || ch === "'" || ch === '"') break;
    if (mode === 'json' && (ch === ',' || ch === '}' || ch === ' ')) break;
  }
  return [i, j];
}

/** Positions of `=` and `:` in order, each found by indexOf once (linear overall). */
function separators(s: string): () => number {
  let eq = s.indexOf('=');
  let colon = s.indexOf(':');
  return () => {
    if (eq < 0 && colon < 0) return -1;
    let at: number;
    if (colon < 0 || (eq >= 0 && eq < colon)) {
      at = eq;
      eq = s.indexOf('=', eq + 1);
    } else {
      at = colon;
      colon = s.indexOf(':', colon + 1);
    }
    return at;
  };
}

export function scanKeyValues(s: string, out: Span[]): void {
  const next = separators(s);
  let skipTo = 0;
  for (let i = next(); i >= 0; i = next()) {
    if (i < skipTo) continue;
    const sep = s[i];
    // back over blanks (at most 4), an optional closing quote, the name, an optional opening quote
    let j = i - 1;
    let blanks = 0;
    while (j >= 0 && (s[j] === ' ' || s[j] === '\t') && blanks < 4) {
      j--;
      blanks++;
    }
    let quote = '';
    if (j >= 0 && (s[j] === '"' || s[j] === "'")) {
      quote = s[j]!;
      j--;
    }
    const nameEnd = j + 1;
    while (j >= 0 && nameEnd - j <= MAX_NAME && isNameChar(s.charCodeAt(j))) j--;
    if (nameEnd - (j + 1) > MAX_NAME) continue;
    if (quote !== '' && s[j] !== quote) continue;
    const name = s.slice(j + 1, nameEnd).replace(/^-+/, '');
    if (name === '' || !isSecretName(name)) continue;
    if (s[j] === '{' && s[j - 1] === '$') continue; // shell expansion `${NAME:-default}`, not a value
    // `=` directly after the name (shell assignment, flag) or `:` (header, YAML, JSON)
    if (sep === '=' && blanks > 0 && quote === '' && !/^[a-z_]+$/i.test(name)) continue;
    let v = i + 1;
    let skipped = 0;
    while (v < s.length && (s[v] === ' ' || s[v] === '\t') && skipped < 8) {
      v++;
      skipped++;
    }
    if (sep === ':' && s.startsWith('//', v)) continue; // scheme://
    // `"NAME="value`: the quote after `=` closes the word the name opened; the value follows it
    if (quote === '' && (s[v] === '"' || s[v] === "'") && s[j] === s[v]) v++;
    // `Header: value` and `key: value` take the rest of the line; `pass:value` only one word
    const mode = quote !== '' ? 'json' : sep === ':' && skipped > 0 ? 'line' : 'word';
    const [start, end] = valueAt(s, v, mode);
    if (end <= start) continue;
    const value = s.slice(start, end);
    const kind = secretAssignmentKind(name, value);
    if (kind === undefined) continue;
    const isFlag = s[j + 1] === '-';
    out.push({ start, end, kind: isFlag && kind === 'secret-env' ? flagKind(name) : kind, keep: 0, priority: 1.5 });
    skipTo = end; // what is inside a hidden value is not scanned again: keeps this linear
  }
}

/** `--password` → password-flag; `--token`, `--api-key` → secret-flag. */
export function flagKind(name: string): string {
  return /pass/i.test(name) ? 'password-flag' : 'secret-flag';
}
