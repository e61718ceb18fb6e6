/**
 * Reading a destructive SQL statement far enough to count the rows it would touch (pure). Only one
 * statement of a known shape is read: DELETE FROM t [WHERE …], UPDATE t SET … [WHERE …] (no FROM),
 * TRUNCATE t, DROP TABLE t. The count query is `SELECT count(*) FROM t WHERE <the same text>`, sent
 * by the runner as one extended-protocol statement inside a read-only transaction, so a WHERE text
 * this reader misjudges can still never become a second statement or a write.
 */

interface Token {
  kind: 'word' | 'ident' | 'string' | 'punct';
  text: string;
  start: number;
  end: number;
  depth: number;
}

/** Tokens at their paren depth; undefined when the text cannot be read (unterminated, `\`, `;` inside). */
function tokenize(sql: string): Token[] | undefined {
  const out: Token[] = [];
  let depth = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const start = i;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      let level = 0;
      do {
        if (i >= sql.length) return undefined;
        const step = sql.startsWith('/*', i) ? 1 : sql.startsWith('*/', i) ? -1 : 0;
        level += step;
        i += step === 0 ? 1 : 2;
      } while (level > 0);
      continue;
    }
    if (c === "'" || ((c === 'E' || c === 'e') && sql[i + 1] === "'")) {
      const escapes = c !== "'";
      i += escapes ? 2 : 1;
      for (;;) {
        if (i >= sql.length) return undefined;
        if (escapes && sql[i] === '\\') i += 2;
        else if (sql[i] === "'" && sql[i + 1] === "'") i += 2;
        else if (sql[i] === "'") break;
        else i++;
      }
      i++;
      out.push({ kind: 'string', text: sql.slice(start, i), start, end: i, depth });
      continue;
    }
    if (c === '"') {
      i++;
      for (;;) {
        if (i >= sql.length) return undefined;
        if (sql[i] === '"' && sql[i + 1] === '"') i += 2;
        else if (sql[i] === '"') break;
        else i++;
      }
      i++;
      out.push({ kind: 'ident', text: sql.slice(start, i), start, end: i, depth });
      continue;
    }
    const dollar = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
    if (dollar !== null) {
      const close = sql.indexOf(dollar[0], i + dollar[0].length);
      if (close < 0) return undefined;
      i = close + dollar[0].length;
      out.push({ kind: 'string', text: sql.slice(start, i), start, end: i, depth });
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(i));
    if (word !== null) {
      i += word[0].length;
      out.push({ kind: 'word', text: word[0], start, end: i, depth });
      continue;
    }
    if (c === '\\') return undefined; // psql meta-command
    if (c === '(') depth++;
    if (c === ')' && --depth < 0) return undefined;
    i++;
    out.push({ kind: 'punct', text: c, start, end: i, depth: c === '(' ? depth - 1 : depth });
  }
  return depth === 0 ? out : undefined;
}

const kw = (t: Token | undefined, ...words: string[]): boolean =>
  t !== undefined && t.kind === 'word' && t.depth === 0 && words.includes(t.text.toLowerCase());

const name = (t: Token | undefined): boolean => t !== undefined && (t.kind === 'word' || t.kind === 'ident');

/** `[ONLY] name[.name] [[AS] alias]` exactly, as written, or undefined. */
function tableOf(toks: Token[], sql: string, alias: boolean): string | undefined {
  let i = 0;
  if (kw(toks[i], 'only')) i++;
  const first = i;
  if (!name(toks[i])) return undefined;
  i++;
  if (toks[i]?.text === '.' && name(toks[i + 1])) i += 2;
  if (alias && kw(toks[i], 'as')) i++;
  if (alias && i < toks.length && name(toks[i])) i++;
  if (i !== toks.length) return undefined;
  return sql.slice(toks[first]!.start, toks[toks.length - 1]!.end);
}

export type DestructiveSql = { table: string; where: string | undefined; statement: string } | { skipped: string };

/** The table and WHERE text of a destructive statement; undefined for anything else (nothing to preview). */
export function destructiveSql(text: string): DestructiveSql | undefined {
  const all = tokenize(text);
  if (all === undefined) return { skipped: 'not previewed: the SQL text could not be read' };
  const toks = [...all];
  while (toks.length > 0 && toks[toks.length - 1]!.text === ';') toks.pop();
  if (toks.length === 0) return undefined;
  const verb = toks[0]!.text.toLowerCase();
  if (!['delete', 'update', 'truncate', 'drop'].includes(verb) || toks[0]!.kind !== 'word') return undefined;
  if (toks.some((t) => t.text === ';')) return { skipped: 'not previewed: more than one SQL statement' };
  const at = (i: number): number => toks[i]?.start ?? text.length;
  const whereAt = toks.findIndex((t) => kw(t, 'where'));
  const returningAt = toks.findIndex((t) => kw(t, 'returning'));
  const end = returningAt < 0 ? toks.length : returningAt;
  const where = whereAt < 0 ? undefined : text.slice(toks[whereAt]!.end, at(end)).trim() || undefined;
  if (whereAt >= 0 && (where === undefined || kw(toks[whereAt + 1], 'current')))
    return { skipped: 'not previewed: WHERE CURRENT OF' };
  const head = (from: number, to: number, alias = true): string | undefined =>
    tableOf(toks.slice(from, to), text, alias);
  const stop = whereAt < 0 ? end : whereAt;
  let table: string | undefined;
  if (verb === 'delete' && kw(toks[1], 'from')) {
    if (toks.slice(2, stop).some((t) => kw(t, 'using'))) return { skipped: 'not previewed: DELETE … USING' };
    table = head(2, stop);
  } else if (verb === 'update') {
    const set = toks.findIndex((t) => kw(t, 'set'));
    if (set < 0) return undefined;
    if (toks.slice(set, stop).some((t) => kw(t, 'from'))) return { skipped: 'not previewed: UPDATE … FROM' };
    table = head(1, set);
  } else if (verb === 'truncate' && whereAt < 0) {
    table = head(kw(toks[1], 'table') ? 2 : 1, end, false);
  } else if (verb === 'drop' && kw(toks[1], 'table') && whereAt < 0) {
    table = head(kw(toks[2], 'if') && kw(toks[3], 'exists') ? 4 : 2, end, false);
  } else return undefined;
  if (table === undefined) return { skipped: `not previewed: ${verb.toUpperCase()} of more than one plain table` };
  return { table, where, statement: verb.toUpperCase() };
}
