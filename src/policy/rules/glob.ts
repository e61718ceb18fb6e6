/**
 * Token globs used by rules: `*` (any run), `?` (one character), `{a,b}` alternatives,
 * `a|b` alternatives at the top level. Compiled once at load into an anchored RegExp.
 */
export type Glob = (s: string) => boolean;

const SPECIAL = /[.+^$()[\]\\/-]/g;

function braces(src: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    const close = ch === '[' ? src.indexOf(']', i + 2) : -1;
    if (ch === '\\' && i + 1 < src.length) {
      out += src[++i]!.replace(SPECIAL, '\\$&').replace(/[{}|*?]/g, '\\$&');
    } else if (close !== -1) {
      const body = src.slice(i + 1, close).replace(/\\/g, '\\\\');
      out += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
      i = close;
    } else if (ch === '{') {
      depth++;
      out += '(?:';
    } else if (ch === '}' && depth > 0) {
      depth--;
      out += ')';
    } else if (ch === ',' && depth > 0) out += '|';
    else if (ch === '*') out += '[\\s\\S]*';
    else if (ch === '?') out += '[\\s\\S]';
    else if (ch === '|') out += depth > 0 ? '\\|' : ch;
    else out += ch.replace(SPECIAL, '\\$&').replace(/[{}|]/g, '\\$&');
  }
  return out + ')'.repeat(depth);
}

/** Translate a glob to a regular expression source (anchored by the caller). */
export function globSource(pattern: string): string {
  return pattern
    .split('|')
    .map((alt) => braces(alt))
    .join('|');
}

export function compileGlob(pattern: string, ignoreCase = false): Glob {
  if (!/[*?{|[\\]/.test(pattern)) {
    if (ignoreCase) {
      const lower = pattern.toLowerCase();
      return (s) => s.toLowerCase() === lower;
    }
    return (s) => s === pattern;
  }
  const re = new RegExp(`^(?:${globSource(pattern)})$`, ignoreCase ? 'i' : '');
  return (s) => re.test(s);
}

/** True when the pattern is a plain word (no glob syntax). */
export function isLiteral(pattern: string): boolean {
  return !/[*?{|[\\]/.test(pattern);
}

/** The literal alternatives of a pattern like `a|b|{c,d}` when it has no wildcard, else undefined. */
export function literalAlternatives(pattern: string): string[] | undefined {
  if (/[*?[\\]/.test(pattern)) return undefined;
  const out: string[] = [];
  for (const alt of pattern.split('|')) {
    const m = /^([^{}]*)\{([^{}]*)\}([^{}]*)$/.exec(alt);
    if (m !== null) for (const mid of m[2]!.split(',')) out.push(`${m[1]!}${mid}${m[3]!}`);
    else if (/[{}]/.test(alt)) return undefined;
    else out.push(alt);
  }
  return out;
}
