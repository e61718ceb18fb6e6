import type { Word } from './words.js';

/**
 * A line of plain simple commands, read without the shell parser (decision 0032): commands joined
 * by `&&`, `||` or `;`, each with optional leading `NAME=value` assignments, a bare program word,
 * then arguments. A word is a run of bare characters, `'single-quoted'` and `"double-quoted"` parts
 * (no `$`, backquote or backslash inside), glued together; words are separated by spaces and tabs.
 * Anything else — every other shell character, a keyword or declaration in command position, a
 * control character, non-ASCII text — is not plain, and the caller parses the line with
 * tree-sitter as before.
 *
 * For a plain line the result is what the tree walk builds from the parsed tree: the same words
 * (`wordOf`), assignments, command texts, in order, and the number of syntax nodes the walk visits
 * (it counts towards LIMITS.maxNodes). test/policy/plain.test.ts compares both on random lines.
 */
export interface PlainLine {
  commands: PlainCommand[];
  /** Syntax nodes the tree walk visits: the program, `&&`/`||` lists, commands, quoted or glued words. */
  nodes: number;
}

export interface PlainCommand {
  /** Leading assignments in order: name and unquoted value. */
  assignments: [string, string][];
  /** The program word and its arguments, quotes removed. */
  words: Word[];
  /** The command's text as the tree gives it: from its first to its last character. */
  text: string;
}

/**
 * A bare word part: characters that are shell syntax nowhere inside a word (`#` is, at its start).
 * `~` and `=` are kept as written, as the tree walk keeps them.
 */
const BARE = /[A-Za-z0-9_./:@%+,=~-]+/y;
/** Inside single quotes: printable ASCII but the quote. */
const SINGLE_BODY = /[\x20-\x26\x28-\x7e]*/y;
/** Inside double quotes: printable ASCII but the quote, `$`, backquote and backslash. */
const DOUBLE_BODY = /[\x20\x21\x23\x25-\x5b\x5d-\x5f\x61-\x7e]*/y;
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.)/;
/**
 * A program word: fewer characters than an argument, since the grammar's scanner reads some words
 * in command position as the start of other syntax (`a@`, `a%`, `a+:` give parse errors, and
 * `- a=b` is an assignment), and none starting with `-`.
 */
const HEAD = /^[A-Za-z0-9_./~][A-Za-z0-9_./~-]*$/;
/** The grammar's `number` (`10`, `-1`, `0x1f`): a program word of that form is a different node. */
const NUMBER = /^-?(?:0x)?[0-9]+$/;

/**
 * Words the grammar reads as syntax in command position (tree-sitter-bash's keywords, test
 * brackets and declarations): such a line is not a simple command of the program of that name.
 */
const SYNTAX_NAMES = new Set(
  '! [ [[ ] ]] { } case coproc declare do done elif else esac export fi for function if in local readonly select then time typeset unset unsetenv until while'.split(
    ' ',
  ),
);

interface Scanned {
  word: Word;
  /** Start and end offsets in the line. */
  start: number;
  end: number;
  /** Nodes the walk visits for this word: a glued word (concatenation) and each double-quoted part. */
  nodes: number;
  /** The word is one bare part (not quoted, not glued). */
  bare: boolean;
}

const SPACE = 32;
const TAB = 9;
const NEWLINE = 10;
const AMP = 38;
const BAR = 124;
const SEMI = 59;

/** The plain commands `line` is, or undefined when it is anything else. */
export function plainLine(line: string): PlainLine | undefined {
  const commands: PlainCommand[] = [];
  let nodes = 1; // the program
  let words: Scanned[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    while (i < n && (line.charCodeAt(i) === SPACE || line.charCodeAt(i) === TAB)) i++;
    const c = i < n ? line.charCodeAt(i) : NEWLINE;
    if (c === NEWLINE || c === SEMI || c === AMP || c === BAR) {
      // the end of a command: it must have words, and be followed by another one or by blank lines
      const cmd = plainCommand(line, words);
      if (cmd === undefined) return undefined;
      commands.push(cmd.command);
      nodes += cmd.nodes;
      words = [];
      if (c === NEWLINE) {
        for (let j = i; j < n; j++) {
          const b = line.charCodeAt(j);
          if (b !== NEWLINE && b !== SPACE && b !== TAB) return undefined;
        }
        return { commands, nodes };
      }
      if (c === SEMI) i++;
      else if (line.charCodeAt(i + 1) === c) {
        // `a && b && c` is a list inside a list: one node per operator
        nodes++;
        i += 2;
      } else return undefined;
      continue;
    }
    const w = scanWord(line, i);
    if (w === undefined) return undefined;
    words.push(w);
    i = w.end;
  }
}

/** One command of the line from its words: leading assignments, then a plain program word. */
function plainCommand(line: string, words: Scanned[]): { command: PlainCommand; nodes: number } | undefined {
  const assignments: [string, string][] = [];
  let k = 0;
  let nodes = 1; // the command
  for (; k < words.length; k++) {
    const w = words[k]!;
    // read on the text as written: a quoted name (`"A"=1`) is a word, not an assignment
    const m = ASSIGNMENT.exec(line.slice(w.start, w.end));
    if (m === null) break;
    // `_` is a special parameter to the grammar: `_=a git` is a command named `_=a`
    if (m[1] === '_') return undefined;
    assignments.push([m[1]!, w.word.text.slice(m[1]!.length + 1)]);
    nodes += scanWord(line, w.start + m[1]!.length + 1)?.nodes ?? 0;
  }
  const head = words[k];
  if (head === undefined || !head.bare || !HEAD.test(head.word.text) || NUMBER.test(head.word.text)) return undefined;
  if (SYNTAX_NAMES.has(head.word.text)) return undefined;
  for (let j = k + 1; j < words.length; j++) {
    const w = words[j]!;
    // `==` and `=~` are test operators to the grammar's scanner wherever they stand
    if (line.charCodeAt(w.start) === 61) return undefined;
    nodes += w.nodes;
  }
  const rest = words.slice(k);
  return {
    command: {
      assignments,
      words: rest.map((w) => w.word),
      text: line.slice(words[0]!.start, rest[rest.length - 1]!.end),
    },
    nodes,
  };
}

/** One word from `start`: bare runs and quoted parts glued together, up to a blank, newline or the end. */
function scanWord(line: string, start: number): Scanned | undefined {
  let text = '';
  let parts = 0;
  let doubles = 0;
  let i = start;
  let bare = true;
  while (i < line.length) {
    const c = line.charCodeAt(i);
    if (c === SPACE || c === TAB || c === NEWLINE || c === SEMI || c === AMP || c === BAR) break;
    if (c === 39 || c === 34) {
      const body = c === 39 ? SINGLE_BODY : DOUBLE_BODY;
      body.lastIndex = i + 1;
      const m = body.exec(line);
      const close = i + 1 + (m?.[0].length ?? 0);
      if (line.charCodeAt(close) !== c) return undefined;
      text += line.slice(i + 1, close);
      if (c === 34) doubles++;
      bare = false;
      parts++;
      i = close + 1;
      continue;
    }
    BARE.lastIndex = i;
    const run = BARE.exec(line)?.[0];
    if (run === undefined) return undefined;
    text += run;
    parts++;
    i += run.length;
  }
  // a word of one part is a leaf (word, raw_string) or a string the walk visits; more parts are glued
  const nodes = parts > 1 ? 1 + doubles : doubles;
  return {
    word: { text, dynamic: false, lead: false, glob: false },
    start,
    end: i,
    nodes,
    bare: bare && parts === 1,
  };
}
