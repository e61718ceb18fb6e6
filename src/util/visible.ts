/**
 * The one place that decides how text from a request is shown to a human, on every surface (the
 * terminal, Slack, Teams, webhook payloads, `guard ledger show`): characters that are invisible,
 * reorder the text around them or pass for a plain space are written out as `<U+XXXX>`, so a
 * command can never read differently from what runs.
 *
 * Replaced: control characters other than newline and tab (C0, DEL, C1), Unicode format
 * characters (category Cf: bidi embeddings, overrides and isolates, the Arabic letter mark,
 * zero-width space/joiners, word joiner, invisible operators, BOM, soft hyphen, tag
 * characters), line and paragraph separators, every space other than U+0020, variation
 * selectors, and the blank letters that render as nothing (Hangul fillers, braille blank).
 */

/* eslint-disable no-control-regex, no-misleading-character-class -- controls and lone combining
   selectors are exactly what this class must catch, one code point at a time (flag u) */
const INVISIBLE =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2800\u3164\uffa0\ufe00-\ufe0f\u{e0100}-\u{e01ef}]/gu;
/* eslint-enable no-control-regex, no-misleading-character-class */

/** `<U+202E>` for one code point. */
export function codePointLabel(ch: string): string {
  return `<U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}>`;
}

/** `s` with every invisible or deceptive character written out as `<U+XXXX>` (plain spaces, newlines and tabs kept). */
export function visibleText(s: string): string {
  return s.replace(INVISIBLE, codePointLabel);
}

/** True when `visibleText` would change `s`. */
export function hasInvisible(s: string): boolean {
  return s.search(INVISIBLE) !== -1;
}

/** Every string inside a JSON-like value passed through `visibleText` (keys too); other values as they are. */
export function visibleDeep<T>(value: T): T {
  if (typeof value === 'string') return visibleText(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => visibleDeep(v)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [visibleText(k), visibleDeep(v)]),
    ) as T;
  }
  return value;
}
