import type { Node } from 'web-tree-sitter';
import { addCommand, addUnresolved, type Analysis, type Base } from './context.js';
import { COMMAND_VARS } from '../programs/carried-scripts.js';
import { runWrittenFile } from './written-files.js';
import { NO_STDIN } from './model.js';
import { parseScript } from './parse.js';
import { wordOf, type Word } from './words.js';

/** Prompt strings: bash expands them (command substitutions included) each time they are shown. */
const PROMPTS = new Set(['PS0', 'PS1', 'PS2', 'PS4']);
/** Files a shell sources before running anything (`BASH_ENV=x bash -c …`, `ENV=x sh -c …`). */
const STARTUP_FILES = new Set(['BASH_ENV', 'ENV']);

/** git reads configuration (aliases, pagers, hooks) from these: `GIT_CONFIG_KEY_0=alias.p`. */
const GIT_CONFIG_ENV = /^GIT_CONFIG_(?:PARAMETERS|COUNT|KEY_\d+|VALUE_\d+)$/;

export function isJudgedVar(name: string): boolean {
  return COMMAND_VARS.has(name) || PROMPTS.has(name) || STARTUP_FILES.has(name) || GIT_CONFIG_ENV.test(name);
}

/**
 * A variable whose value some program later runs: a command (`PAGER`, `GIT_SSH_COMMAND`), a
 * prompt with substitutions (`PS4='$(…)'`) or a startup file a shell sources (`BASH_ENV`).
 */
export function judgeVar(a: Analysis, name: string, value: Word, base: Base): void {
  const v = value.text;
  if (v.trim() === '') return;
  const sub = { ...base, assignments: {}, stdin: NO_STDIN, argFedBy: [], depth: base.depth + 1 };
  if (GIT_CONFIG_ENV.test(name)) {
    addUnresolved(
      a,
      'dynamic-script',
      base.text,
      `${name} sets git configuration (aliases, pagers, hooks) from the environment`,
    );
    return;
  }
  if (STARTUP_FILES.has(name)) {
    if (value.dynamic || value.lead)
      addUnresolved(a, 'source-generated', base.text, `${name} makes the shell source ${v}, generated at run time`);
    else runWrittenFile(a, v, undefined, sub, (text) => parseScript(a, text, { ...sub, text }));
    return;
  }
  if (value.dynamic) addUnresolved(a, 'dynamic-script', base.text, `the ${name} command is built at run time: ${v}`);
  // a prompt is expanded, not run: only the substitutions inside it execute
  const text = PROMPTS.has(name) ? `: ${v}` : v;
  parseScript(a, text, { ...sub, text: v });
}

/** `X=…` as a statement or in `export`/`declare`/`local`/`readonly`. */
export function assignmentVars(a: Analysis, node: Node, base: Base): void {
  const list = node.type === 'variable_assignment' ? [node] : node.namedChildren;
  for (const c of list) {
    if (c === null || c.type !== 'variable_assignment') continue;
    const name = c.childForFieldName('name')?.text ?? '';
    const value = c.childForFieldName('value');
    if (value !== null && isJudgedVar(name)) judgeVar(a, name, wordOf(value), base);
  }
}

/** Leading `VAR=value` words (values already unquoted) of a command or of env/sudo. */
export function commandVars(a: Analysis, assignments: Record<string, string>, base: Base): void {
  for (const [k, v] of Object.entries(assignments)) {
    if (!isJudgedVar(k)) continue;
    const dynamic = /[$`]|<\(/.test(v);
    judgeVar(a, k, { text: v, dynamic, lead: dynamic && /^[$`<]/.test(v), glob: false }, base);
  }
}

/** `NAME=value` as one word: the name as written, the value unquoted. */
function assignmentWord(node: Node): Word {
  const value = node.childForFieldName('value');
  const v = value !== null ? wordOf(value) : undefined;
  const name = node.childForFieldName('name')?.text ?? '';
  const op = node.text.slice(name.length, name.length + 2) === '+=' ? '+=' : '=';
  return { text: `${name}${op}${v?.text ?? ''}`, dynamic: v?.dynamic ?? false, lead: false, glob: false };
}

/**
 * A declaration as a command judged by rules only (the policy default does not apply): `export
 * GUARD_SOCK''ET=x` is program `export` with the unquoted word `GUARD_SOCKET=x`, and its
 * assignments are visible to `env` matches — as bash sees them after quote removal. A bare
 * `X=v` statement is program `=` (decision 0122).
 */
export function declaration(a: Analysis, node: Node, base: Base): void {
  const bare = node.type === 'variable_assignment';
  const words: Word[] = [];
  const assignments: Record<string, string> = {};
  // tree-sitter splits `GUARD_SOCK''ET=x` into adjacent pieces: bash reads them as one word
  let end = -1;
  for (const c of bare ? [node] : node.namedChildren) {
    if (c === null || c.type === 'comment') continue;
    const w = c.type === 'variable_assignment' ? assignmentWord(c) : wordOf(c);
    const last = words[words.length - 1];
    if (last !== undefined && c.startIndex === end)
      words[words.length - 1] = { ...last, text: last.text + w.text, dynamic: last.dynamic || w.dynamic };
    else words.push(w);
    end = c.endIndex;
  }
  for (const w of words) {
    const eq = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[[^\]]*\])?\+?=/.exec(w.text);
    if (eq !== null) assignments[eq[1]!] = w.text.slice(eq[0].length);
  }
  const keyword = bare ? '=' : (node.firstChild?.text ?? 'declare');
  addCommand(a, {
    wrapper: true,
    program: keyword,
    programPath: keyword,
    args: bare ? [] : words,
    via: base.via,
    assignments,
    text: node.text,
    fedBy: [],
    stdin: undefined,
    writes: base.writes,
    dirs: a.dirs,
    fileText: [],
  });
}
