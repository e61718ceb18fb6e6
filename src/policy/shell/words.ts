import type { Node } from 'web-tree-sitter';

/**
 * A shell word after quote removal. `dynamic` words contain an expansion the engine cannot
 * know statically ($VAR, $(…), globs); their `text` keeps the source spelling of those parts.
 * `lead` marks a word whose first character comes from an expansion, so it may turn out to
 * be an option (`rm $FLAGS /`) or anything else: rules treat such a word as a wildcard.
 */
export interface Word {
  text: string;
  dynamic: boolean;
  lead: boolean;
  /** Unquoted glob characters (`*`, `?`, `[`) that the shell would expand. */
  glob: boolean;
  /**
   * An expansion the shell may split into several words (unquoted, or `"$@"`). A computed word
   * without it stays one word: it can become a flag or a target, never both.
   */
  split?: boolean;
}

export function lit(text: string): Word {
  return { text, dynamic: false, lead: false, glob: false };
}

export function dyn(text: string): Word {
  return { text, dynamic: true, lead: true, glob: false, split: true };
}

/** Backslash removal outside quotes: `\x` → `x`, backslash-newline → nothing. */
export function unescapeBare(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\(\n|[\s\S])?/g, (_m, c: string | undefined) => (c === undefined || c === '\n' ? '' : c));
}

/** Backslash removal inside double quotes: only before $ ` " \ and newline. */
export function unescapeDouble(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\([$`"\\\n])/g, (_m, c: string) => (c === '\n' ? '' : c));
}

const C_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

/** Decode the body of a bash ANSI-C string `$'…'`. */
export function decodeAnsiC(body: string): string {
  return body.replace(
    /\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|[0-7]{1,3}|c[\s\S]|[\s\S])/g,
    (_m, e: string) => {
      const k = e[0]!;
      if (k === 'x' || k === 'u' || k === 'U') return safeCodePoint(parseInt(e.slice(1), 16));
      if (/[0-7]/.test(k)) return String.fromCharCode(parseInt(e, 8) & 0xff);
      if (k === 'c') return String.fromCharCode(e.charCodeAt(1) & 0x1f);
      return C_ESCAPES[k] ?? `\\${e}`;
    },
  );
}

function safeCodePoint(n: number): string {
  return Number.isFinite(n) && n >= 0 && n <= 0x10ffff ? String.fromCodePoint(n) : '\ufffd';
}

const EXPANSIONS = new Set([
  'simple_expansion',
  'expansion',
  'command_substitution',
  'process_substitution',
  'arithmetic_expansion',
]);

// Sentinels for unquoted brace syntax, so brace expansion only sees braces the shell would expand.
export const B_OPEN = '\u0001';
export const B_COMMA = '\u0002';
export const B_CLOSE = '\u0003';
const BRACE_LIST = new RegExp(`${B_OPEN}([^${B_OPEN}${B_CLOSE}]*)${B_CLOSE}`);

function bare(text: string, w: Word): string {
  if (/(^|[^\\])[*?[]/.test(text)) w.glob = true;
  const marked = text.includes('{')
    ? text.replace(/(\\[\s\S])|([{},])/g, (m, esc: string | undefined, b: string | undefined) =>
        esc !== undefined ? esc : b === '{' ? B_OPEN : b === '}' ? B_CLOSE : B_COMMA,
      )
    : text;
  return unescapeBare(marked);
}

/**
 * Expansions that always start with `/`: the working directory (`$PWD`, `$(pwd)`). A word starting
 * with one is computed but can never be an option.
 */
const ABSOLUTE = /^(?:\$PWD|\$\{PWD\}|\$\(pwd\)|`pwd`)$/;
/** Expansions that give several words even inside double quotes: `"$@"`, `"${a[@]}"`, `"${!p@}"`. */
const MANY = /\$\{?@|\[@\]|\$\{![^}]*@\}/;

/** Build a Word from a tree-sitter argument / command-name node. */
export function wordOf(node: Node): Word {
  const w: Word = { text: '', dynamic: false, lead: false, glob: false };
  append(node, w, true);
  // `*`, `?rf`: a glob with no fixed start may expand to a file named `-rf` (`touch ./-rf && rm *`)
  if (w.glob && /^[*?[]/.test(w.text) && !w.text.slice(1).includes('.')) {
    w.lead = true;
    w.split = true;
  }
  return w;
}

function append(node: Node, w: Word, first: boolean): void {
  const t = node.type;
  if (t === 'word' || t === 'number' || t === 'variable_name') {
    w.text += bare(node.text, w);
  } else if (t === 'raw_string') {
    w.text += node.text.slice(1, -1);
  } else if (t === 'ansi_c_string') {
    w.text += decodeAnsiC(node.text.slice(2, -1));
  } else if (t === 'string' || t === 'translated_string') {
    appendString(node, w, first);
  } else if (t === 'concatenation' || t === 'command_name') {
    let i = 0;
    for (const c of node.children) {
      if (c === null) continue;
      append(c, w, first && i === 0);
      i++;
    }
  } else if (t === 'command_substitution' && foldEcho(node) !== undefined) {
    w.text += foldEcho(node)!;
  } else if (EXPANSIONS.has(t)) {
    if (first && w.text === '' && !ABSOLUTE.test(node.text)) w.lead = true;
    w.dynamic = true;
    w.split = true;
    w.text += node.text;
  } else {
    // brace_expression, anything unexpected: keep its text, mark it as not static
    if (first && w.text === '') w.lead = true;
    w.dynamic = true;
    w.split = true;
    w.text += node.text;
  }
}

/** `$(echo word…)` with literal words is constant: its text is known statically. */
function foldEcho(node: Node): string | undefined {
  const inner = node.namedChildren.filter((c): c is Node => c !== null);
  const cmd = inner[0];
  if (inner.length !== 1 || cmd === undefined || cmd.type !== 'command') return undefined;
  const parts = cmd.namedChildren.filter((c): c is Node => c !== null);
  const name = parts[0];
  if (name === undefined || name.type !== 'command_name' || name.text !== 'echo') return undefined;
  const rest = parts.slice(1);
  // only plain words: no recursion into nested substitutions (bounded on hostile nesting)
  if (rest.length === 0 || rest.some((p) => p.type !== 'word' && p.type !== 'raw_string')) return undefined;
  const args = rest.map(wordOf);
  if (args.some((a) => a.dynamic || a.glob || a.text.startsWith('-'))) return undefined;
  return args.map((a) => a.text).join(' ');
}

function appendString(node: Node, w: Word, first: boolean): void {
  const text = node.text;
  const open = text.startsWith('$"') ? 2 : 1;
  const base = node.startIndex;
  let pos = base + open;
  const end = node.endIndex - 1;
  for (const c of node.children) {
    if (c === null || c.type === '"' || c.type === '$"') continue;
    if (c.startIndex > pos) w.text += unescapeDouble(text.slice(pos - base, c.startIndex - base));
    if (c.type === 'string_content') w.text += unescapeDouble(c.text);
    else {
      if (first && w.text === '' && !ABSOLUTE.test(c.text)) w.lead = true;
      if (MANY.test(c.text)) w.split = true;
      w.dynamic = true;
      w.text += c.text;
    }
    pos = c.endIndex;
  }
  if (end > pos) w.text += unescapeDouble(text.slice(pos - base, end - base));
}

/** Expand unquoted `{a,b}` brace lists (bounded). Returns the words, sentinels removed. */
export function expandBraces(w: Word, limit = 64): Word[] {
  if (!w.text.includes(B_OPEN))
    return [w.text.includes(B_COMMA) || w.text.includes(B_CLOSE) ? { ...w, text: clean(w.text) } : w];
  let list = [w.text];
  for (let round = 0; round < 8; round++) {
    let changed = false;
    const next: string[] = [];
    for (const s of list) {
      const m = BRACE_LIST.exec(s);
      if (m === null || !m[1]!.includes(B_COMMA)) {
        next.push(m === null ? s : s.slice(0, m.index) + '{' + m[1]! + '}' + s.slice(m.index + m[0].length));
        if (m !== null) changed = true;
        continue;
      }
      changed = true;
      for (const part of m[1]!.split(B_COMMA)) next.push(s.slice(0, m.index) + part + s.slice(m.index + m[0].length));
    }
    list = next;
    if (list.length > limit) return [{ ...w, text: clean(w.text), dynamic: true, lead: true, split: true }];
    if (!changed) break;
  }
  return list.map((s) => ({ ...w, text: clean(s) }));
}

function clean(s: string): string {
  return s.split(B_OPEN).join('{').split(B_COMMA).join(',').split(B_CLOSE).join('}');
}

/** Quote a word for display (POSIX single quotes when needed). */
export function shellQuote(s: string): string {
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
