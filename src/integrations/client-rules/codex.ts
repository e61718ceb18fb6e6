/**
 * Codex CLI's own command rules (execpolicy `.rules` files), read and applied the way Codex does,
 * so that a command guard rewrites (Codex sees only `guard exec …` then) still gets Codex's own
 * refusal. Pure: the files' text is given (see files.ts for where Codex reads them).
 *
 * Semantics, from openai/codex codex-rs/execpolicy (parser.rs, policy.rs, rule.rs) and
 * codex-rs/core/src/exec_policy.rs, for the installed Codex 0.171.0:
 * - a `.rules` file is Starlark calling `prefix_rule(pattern, decision, match, not_match,
 *   justification)`, `network_rule(…)` and `host_executable(…)`;
 * - `pattern` is a list whose items are a word or a list of alternative words; a rule matches an
 *   argv whose first words match the pattern (the first word exactly; with host executables, an
 *   absolute path whose basename is the word);
 * - `decision` is `allow` (default), `prompt` or `forbidden`; the strictest decision of every
 *   matching rule over every command of the line wins.
 *
 * - a command no rule matches gets Codex's fallback check: a forced `rm` is asked about (or refused).
 *
 * guard reads only literal calls (no variables, loops, functions or f-strings): a file that uses
 * more of Starlark cannot be reproduced faithfully, and is reported as unreadable (the caller then
 * refuses). Host-executable resolution is applied to every absolute path (stricter than Codex,
 * which needs a `host_executable` entry).
 */

export type CodexDecision = 'allow' | 'prompt' | 'forbidden';

export interface CodexRule {
  file: string;
  /** The first word, then each later position's accepted words. */
  pattern: string[][];
  decision: CodexDecision;
  justification: string | undefined;
}

export type CodexRulesFile = { file: string; rules: CodexRule[] } | { file: string; error: string };

const DECISIONS: ReadonlySet<string> = new Set(['allow', 'prompt', 'forbidden']);
const RANK: Record<CodexDecision, number> = { allow: 0, prompt: 1, forbidden: 2 };

type Token =
  { t: 'id'; v: string } | { t: 'str'; v: string } | { t: 'p'; v: '(' | ')' | '[' | ']' | ',' | '=' } | { t: 'end' };

class Unsupported extends Error {}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if ('()[],='.includes(c)) {
      // `==` is an expression, not a keyword argument
      if (c === '=' && text[i + 1] === '=') throw new Unsupported('an expression (==)');
      out.push({ t: 'p', v: c as '(' });
      i++;
    } else if (c === '"' || c === "'") {
      if (text.startsWith(c.repeat(3), i)) throw new Unsupported('a triple-quoted string');
      let v = '';
      i++;
      for (;;) {
        const d = text[i];
        if (d === undefined || d === '\n') throw new Unsupported('an unterminated string');
        i++;
        if (d === c) break;
        if (d === '\\') {
          const e = text[i++];
          const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };
          if (e === undefined || simple[e] === undefined) throw new Unsupported(`the string escape \\${e ?? ''}`);
          v += simple[e];
        } else v += d;
      }
      out.push({ t: 'str', v });
    } else if (/[A-Za-z_]/.test(c)) {
      let v = '';
      while (i < text.length && /\w/.test(text[i]!)) v += text[i++];
      // f"…", r"…", b"…" prefixes change what a string means
      if (text[i] === '"' || text[i] === "'") throw new Unsupported(`a prefixed string (${v}"…")`);
      out.push({ t: 'id', v });
    } else {
      throw new Unsupported(`the character ${JSON.stringify(c)}`);
    }
  }
  out.push({ t: 'end' });
  return out;
}

type Value = string | Value[];

/** Parse one Codex `.rules` file (only literal calls; anything else is an error naming what). */
export function parseCodexRules(file: string, text: string): CodexRulesFile {
  try {
    return { file, rules: parseCalls(file, tokenize(text)) };
  } catch (err) {
    const what = err instanceof Unsupported ? `it uses ${err.message}, which guard does not evaluate` : String(err);
    return { file, error: what };
  }
}

const PREFIX_PARAMS = ['pattern', 'decision', 'match', 'not_match', 'justification'];

function parseCalls(file: string, toks: Token[]): CodexRule[] {
  let p = 0;
  const peek = (): Token => toks[p]!;
  const expect = (v: string): void => {
    const t = toks[p++]!;
    if (t.t !== 'p' || t.v !== v) throw new Unsupported(`something other than "${v}" where Codex expects it`);
  };
  const value = (): Value => {
    const t = toks[p++]!;
    if (t.t === 'str') return t.v;
    if (t.t === 'p' && t.v === '[') {
      const items: Value[] = [];
      while (!(peek().t === 'p' && (peek() as { v: string }).v === ']')) {
        items.push(value());
        if (peek().t === 'p' && (peek() as { v: string }).v === ',') p++;
        else break;
      }
      expect(']');
      return items;
    }
    throw new Unsupported(t.t === 'id' ? `a name (${t.v}) as a value` : 'an expression as a value');
  };
  const rules: CodexRule[] = [];
  while (peek().t !== 'end') {
    const fn = toks[p++]!;
    if (fn.t !== 'id') throw new Unsupported('a statement that is not a call');
    expect('(');
    const args = new Map<string, Value>();
    let positional = 0;
    while (!(peek().t === 'p' && (peek() as { v: string }).v === ')')) {
      const t = peek();
      const next = toks[p + 1]!;
      if (t.t === 'id' && next.t === 'p' && next.v === '=') {
        p += 2;
        args.set(t.v, value());
      } else {
        args.set(`#${positional++}`, value());
      }
      if (peek().t === 'p' && (peek() as { v: string }).v === ',') p++;
      else break;
    }
    expect(')');
    if (fn.v === 'prefix_rule') rules.push(prefixRule(file, args));
    else if (fn.v !== 'network_rule' && fn.v !== 'host_executable') throw new Unsupported(`a call of ${fn.v}()`);
  }
  return rules;
}

function prefixRule(file: string, args: Map<string, Value>): CodexRule {
  const arg = (name: string): Value | undefined => args.get(name) ?? args.get(`#${PREFIX_PARAMS.indexOf(name)}`);
  for (const k of args.keys())
    if (!k.startsWith('#') && !PREFIX_PARAMS.includes(k)) throw new Error(`prefix_rule() has no parameter ${k}`);
  const pattern = arg('pattern');
  if (!Array.isArray(pattern) || pattern.length === 0) throw new Error('prefix_rule() needs a non-empty pattern list');
  const words = pattern.map((item) => {
    const alts = typeof item === 'string' ? [item] : item;
    if (alts.length === 0 || !alts.every((a): a is string => typeof a === 'string'))
      throw new Error('a pattern element must be a word or a non-empty list of words');
    return alts;
  });
  const decision = arg('decision') ?? 'allow';
  if (typeof decision !== 'string' || !DECISIONS.has(decision))
    throw new Error(`prefix_rule() decision must be allow, prompt or forbidden, got ${JSON.stringify(decision)}`);
  const justification = arg('justification');
  if (justification !== undefined && typeof justification !== 'string')
    throw new Error('prefix_rule() justification must be a string');
  // one rule per first-word alternative, as Codex builds them
  return { file, pattern: words, decision: decision as CodexDecision, justification };
}

function basename(word: string): string {
  return word.slice(word.lastIndexOf('/') + 1);
}

function ruleMatches(rule: CodexRule, argv: readonly string[]): boolean {
  if (argv.length < rule.pattern.length) return false;
  return rule.pattern.every((alts, i) => {
    const word = argv[i]!;
    return alts.includes(word) || (i === 0 && word.startsWith('/') && alts.includes(basename(word)));
  });
}

export interface CodexVerdict {
  decision: CodexDecision;
  /** The rule that decided; undefined when Codex's own check for commands no rule matches did. */
  rule: CodexRule | undefined;
  argv: readonly string[];
}

/**
 * Codex's check for a command no rule matches (`command_might_be_dangerous`,
 * codex-rs/shell-command/src/command_safety/is_dangerous_command.rs): `rm` with a force option
 * (`-f` in any short-option group before `--`, or `--force`), also behind `sudo`. Codex asks about
 * such a command, or refuses it when its approval policy is `never`, whatever its sandbox.
 */
export function codexFlagsDangerous(argv: readonly string[]): boolean {
  const program = argv[0] === undefined ? undefined : basename(argv[0]);
  if (program === 'sudo') return codexFlagsDangerous(argv.slice(1));
  if (program !== 'rm') return false;
  const args = argv.slice(1);
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some(
    (a) => a === '--force' || (a.startsWith('-') && !a.startsWith('--') && a.includes('f')),
  );
}

/**
 * Codex's decision over the given commands: per command, the strictest matching rule, or for a
 * command no rule matches, its own danger check (a prompt); the strictest over all commands wins.
 * Undefined: Codex has no objection (no rule matches, nothing is flagged).
 */
export function codexDecision(
  rules: readonly CodexRule[],
  commands: readonly (readonly string[])[],
): CodexVerdict | undefined {
  let best: CodexVerdict | undefined;
  const consider = (v: CodexVerdict): void => {
    if (best === undefined || RANK[v.decision] > RANK[best.decision]) best = v;
  };
  for (const argv of commands) {
    const matching = rules.filter((rule) => ruleMatches(rule, argv));
    for (const rule of matching) consider({ decision: rule.decision, rule, argv });
    if (matching.length === 0 && codexFlagsDangerous(argv)) consider({ decision: 'prompt', rule: undefined, argv });
  }
  return best;
}

/** The pattern as Codex users write it: `["git", ["push", "fetch"]]`. */
export function showPattern(rule: CodexRule): string {
  return `[${rule.pattern.map((alts) => (alts.length === 1 ? JSON.stringify(alts[0]) : JSON.stringify(alts))).join(', ')}]`;
}
