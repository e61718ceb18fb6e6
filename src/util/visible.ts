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

/* East Asian Wide and Fullwidth ranges (Unicode 15 EastAsianWidth.txt, W and F, grouped) and the
   emoji presentation blocks: a terminal gives each of these two columns. */
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x23e9, 0x23ec],
  [0x23f0, 0x23f0],
  [0x23f3, 0x23f3],
  [0x25fd, 0x25fe],
  [0x2614, 0x2615],
  [0x2648, 0x2653],
  [0x26aa, 0x26ab],
  [0x26bd, 0x26be],
  [0x26c4, 0x26c5],
  [0x26d4, 0x26d4],
  [0x26ea, 0x26ea],
  [0x26f2, 0x26f5],
  [0x26fa, 0x26fd],
  [0x2705, 0x2705],
  [0x270a, 0x270b],
  [0x2728, 0x2728],
  [0x274c, 0x274c],
  [0x2753, 0x2755],
  [0x2757, 0x2757],
  [0x2795, 0x2797],
  [0x27b0, 0x27b0],
  [0x27bf, 0x27bf],
  [0x2b1b, 0x2b1c],
  [0x2b50, 0x2b50],
  [0x2b55, 0x2b55],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x16fe0, 0x16fe4],
  [0x17000, 0x18cff],
  [0x1b000, 0x1b2ff],
  [0x1f004, 0x1f004],
  [0x1f0cf, 0x1f0cf],
  [0x1f18e, 0x1f18e],
  [0x1f191, 0x1f19a],
  [0x1f200, 0x1f251],
  [0x1f300, 0x1f64f],
  [0x1f680, 0x1f6ff],
  [0x1f7e0, 0x1f7eb],
  [0x1f90c, 0x1f9ff],
  [0x1fa70, 0x1faff],
  [0x20000, 0x2fffd],
  [0x30000, 0x3fffd],
];
const ZERO_WIDTH = /^[\p{Mn}\p{Me}]$/u;

/**
 * Terminal columns one code point takes: 2 for East Asian wide and fullwidth characters (CJK,
 * Hangul, kana, fullwidth forms, emoji), 0 for combining marks, else 1. Invisible characters are
 * never measured here: `visibleText` has replaced them by their `<U+XXXX>` labels first.
 */
export function charWidth(ch: string): number {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp < 0x1100) return ZERO_WIDTH.test(ch) ? 0 : 1;
  let lo = 0;
  let hi = WIDE.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [from, to] = WIDE[mid]!;
    if (cp < from) hi = mid - 1;
    else if (cp > to) lo = mid + 1;
    else return 2;
  }
  return ZERO_WIDTH.test(ch) ? 0 : 1;
}

/** Terminal columns `s` takes (sum of `charWidth` over its code points). */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += charWidth(ch);
  return w;
}
