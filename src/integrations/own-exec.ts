/**
 * Is a command line exactly one call of this guard's `exec` (the hand-off line an agent that cannot
 * rewrite is told to run)? Then `guard exec` judges, waits and records it itself, and the hook lets
 * it through without asking the daemon.
 *
 * The check is lexical, not a parse: the line must consist only of single-quoted words and bare
 * words of safe characters, separated by spaces. Such a line has no expansion, redirection,
 * operator, substitution or comment — it is one simple command whose words are literal — so
 * unquoting the words gives exactly what the shell will run. Anything else is not an own exec.
 */

/** A single-quoted word as `shQuote` writes it (`'` inside becomes `'\''`), or a safe bare word. */
const WORD = /'[^']*'(?:\\''[^']*')*|[A-Za-z0-9_@%+=:,./-]+/y;
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=/;
const ALLOWED_ASSIGNMENTS: ReadonlySet<string> = new Set(['GUARD_AGENT', 'GUARD_AGENT_SESSION']);

/** The literal words of a line made only of quoted and safe bare words; undefined otherwise. */
export function literalWords(line: string): string[] | undefined {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === ' ') {
      i++;
      continue;
    }
    let word = '';
    // a word is a run of adjacent pieces (e.g. GUARD_AGENT='x' is `GUARD_AGENT=` then `'x'`)
    while (i < line.length && line[i] !== ' ') {
      WORD.lastIndex = i;
      const m = WORD.exec(line);
      if (m === null) return undefined;
      const piece = m[0];
      word += piece.startsWith("'") ? piece.slice(1, -1).replace(/'\\''/g, "'") : piece;
      i += piece.length;
    }
    words.push(word);
  }
  return words;
}

/**
 * `guard` is the absolute command of this guard (one or more words, e.g. [node, bin] or [bin]).
 * Allowed before it: GUARD_AGENT= and GUARD_AGENT_SESSION= only (GUARD_HOME=… or GUARD_SOCKET=…
 * would point exec at another daemon).
 */
export function isOwnExec(line: string, guard: readonly string[]): boolean {
  if (guard.length === 0 || !guard[0]!.startsWith('/')) return false;
  const words = literalWords(line);
  if (words === undefined) return false;
  let k = 0;
  for (; k < words.length; k++) {
    const name = ASSIGNMENT.exec(words[k]!)?.[1];
    if (name === undefined) break;
    if (!ALLOWED_ASSIGNMENTS.has(name)) return false;
  }
  const expected = [...guard, 'exec'];
  return words.length > k + expected.length && expected.every((w, j) => words[k + j] === w);
}
