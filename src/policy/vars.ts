import type { Node } from 'web-tree-sitter';
import { addUnresolved, type Analysis, type Base } from './context.js';
import { COMMAND_VARS } from './extras.js';
import { runWrittenFile } from './files.js';
import { NO_STDIN } from './model.js';
import { parseScript } from './shell.js';
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
