/**
 * A small, linear, error-tolerant shell word splitter for redaction (not for policy decisions:
 * the policy engine has its own tree-sitter parser). It only needs to find words, their unquoted
 * values and where each value character came from, and where simple commands end.
 */
export interface Word {
  value: string;
  /** Source offset of each value character. */
  map: number[];
  /** True when the word contained quotes (its value may hold a whole script). */
  quoted: boolean;
}

const BREAK = new Set([';', '&', '|', '\n', '(', ')', '`']);
const BLANK = new Set([' ', '\t', '\r']);

export function splitCommands(s: string): Word[][] {
  const commands: Word[][] = [];
  let words: Word[] = [];
  let cur: Word | undefined;
  const push = (c: string, at: number): void => {
    cur ??= { value: '', map: [], quoted: false };
    cur.value += c;
    cur.map.push(at);
  };
  const endWord = (): void => {
    if (cur !== undefined) words.push(cur);
    cur = undefined;
  };
  const endCommand = (): void => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (BLANK.has(c)) {
      endWord();
    } else if (BREAK.has(c) || (c === '$' && s[i + 1] === '(')) {
      endCommand();
      if (c === '$') i++;
    } else if (c === '#' && cur === undefined) {
      while (i < s.length && s[i] !== '\n') i++;
      endCommand();
    } else if (c === '\\') {
      if (i + 1 < s.length && s[i + 1] !== '\n') push(s[i + 1]!, i + 1);
      i++;
    } else if (c === "'" || (c === '$' && s[i + 1] === "'")) {
      if (c === '$') i++;
      cur ??= { value: '', map: [], quoted: true };
      cur.quoted = true;
      let j = i + 1;
      for (; j < s.length && s[j] !== "'"; j++) push(s[j]!, j);
      i = j;
    } else if (c === '"') {
      cur ??= { value: '', map: [], quoted: true };
      cur.quoted = true;
      let j = i + 1;
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === '\\' && j + 1 < s.length && '"\\$`'.includes(s[j + 1]!)) j++;
        push(s[j]!, j);
      }
      i = j;
    } else {
      push(c, i);
    }
  }
  endCommand();
  return commands;
}
