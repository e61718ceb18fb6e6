/**
 * Making text taken from a request inert in Slack mrkdwn.
 *
 * Slack parses control sequences `<…>` (mentions `<@U…>`, `<!channel>`, links `<url|label>`) even
 * inside code, so `&`, `<` and `>` are always escaped to entities (Slack's documented rule; only
 * these three). Formatting (`*bold*`, `_x_`, `~x~`, quotes, `:emoji:`) has no effect inside code,
 * so every untrusted value is shown as code: inline when it is one plain line, otherwise a code
 * block whose fences cannot be closed from inside (a zero-width space follows every backtick).
 * Text objects carrying untrusted values also set `verbatim: true` (no auto-linking of names).
 */
const ZWSP = '\u200b';

export function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escaped text for inside a ``` block: no sequence of two backticks can form. */
export function escapeInBlock(s: string): string {
  return escapeText(s).replace(/`/g, '`' + ZWSP);
}

/** An untrusted value as inline code, or as a code block when it has a newline or a backtick. */
export function code(value: string): string {
  if (value === '') return '_(empty)_';
  if (/[\n\r`]/.test(value)) return '```' + escapeInBlock(value) + '```';
  return '`' + escapeText(value) + '`';
}

/**
 * Splits text into pieces whose escaped form is at most `limit` characters, never inside an entity
 * or a surrogate pair. Returns the escaped pieces (for code blocks).
 */
export function splitEscaped(text: string, limit: number): string[] {
  const parts: string[] = [];
  let current = '';
  for (const ch of text) {
    // Same mapping as escapeInBlock (a test holds them equal); regexes per character were ~80× slower.
    const piece = ch === '&' ? '&amp;' : ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : ch === '`' ? '`' + ZWSP : ch;
    if (current.length + piece.length > limit) {
      parts.push(current);
      current = '';
    }
    current += piece;
  }
  if (current !== '' || parts.length === 0) parts.push(current);
  return parts;
}
