/**
 * Gemini CLI's own policy rules (`policies/*.toml`), applied the way Gemini applies them to a shell
 * command, so that a command guard rewrites (Gemini's policy sees only `guard exec …` then) still
 * gets Gemini's own refusal. Pure: the files' text is given (see files.ts for where Gemini reads
 * them).
 *
 * Semantics, from the installed Gemini CLI 0.61.0 (bundle: `loadPoliciesFromToml`,
 * `buildArgsPatterns`, `ruleMatches`, `PolicyEngine.check` / `checkShellCommand`,
 * `stableStringify`, `stripShellWrapper`):
 * - a file holds `[[rule]]` tables: `toolName` (string or list), `decision` (allow, deny,
 *   ask_user), `priority`, and for shell rules `commandPrefix` (string or list), `commandRegex` or
 *   `argsPattern`, optional `mcpName`, `modes`, `interactive`, `denyMessage`;
 * - `commandPrefix` P becomes the regex `"command":"P(?:[\s"]|\\")` and `commandRegex` R becomes
 *   `"command":"R`, tested against the tool's arguments as Gemini's stableStringify writes them
 *   (sorted keys, top-level pairs between NUL characters);
 * - a shell line is judged whole and then per sub-command (`{command: <sub-command>, dir_path}`),
 *   `bash -c '…'` unwrapped; a deny anywhere denies, an ask anywhere asks.
 *
 * guard only looks for deny and ask_user rules that constrain the command (a rule for the whole
 * tool applies to guard's rewritten line too, so Gemini still decides it). It ignores priorities
 * and `modes`/`interactive` (it cannot see Gemini's mode): a matching deny or ask rule refuses even
 * where a higher allow rule would have let Gemini run it — stricter, never looser.
 */
import { runInNewContext } from 'node:vm';
import { parse as parseToml } from 'smol-toml';

export type GeminiDecision = 'deny' | 'ask_user';

export interface GeminiRule {
  file: string;
  decision: GeminiDecision;
  /** Every pattern Gemini builds for the rule (one per commandPrefix entry). */
  patterns: RegExp[];
  /** What the rule says, for the refusal: `commandPrefix = "rm"` etc. */
  shown: string;
  denyMessage: string | undefined;
}

export type GeminiPolicyFile = { file: string; rules: GeminiRule[] } | { file: string; error: string };

const SHELL_TOOLS: ReadonlySet<string> = new Set(['run_shell_command', 'ShellTool', '*']);
const DECISIONS: ReadonlySet<string> = new Set(['allow', 'deny', 'ask_user']);

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Gemini's buildArgsPatterns. */
export function geminiPatterns(
  argsPattern?: string,
  commandPrefix?: string | string[],
  commandRegex?: string,
): string[] {
  if (commandPrefix !== undefined) {
    const prefixes = Array.isArray(commandPrefix) ? commandPrefix : [commandPrefix];
    return prefixes.map((prefix) => {
      const encoded = JSON.stringify(prefix);
      return `${escapeRegex(`"command":${encoded.slice(0, -1)}`)}(?:[\\s"]|\\\\")`;
    });
  }
  if (commandRegex !== undefined) return [`"command":"${commandRegex}`];
  return argsPattern === undefined ? [] : [argsPattern];
}

const optionalString = (v: unknown): v is string | undefined => v === undefined || typeof v === 'string';
const stringOrList = (v: unknown): boolean =>
  typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'));

/** Parse one Gemini policy file; a file Gemini would reject (or guard cannot read) is an error. */
export function parseGeminiPolicy(file: string, text: string): GeminiPolicyFile {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text);
  } catch (err) {
    return { file, error: `TOML parsing failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
  }
  const raw = doc['rule'] ?? [];
  if (!Array.isArray(raw)) return { file, error: '`rule` is not an array of tables' };
  const rules: GeminiRule[] = [];
  for (const [i, r] of raw.entries()) {
    const bad = (what: string): GeminiPolicyFile => ({ file, error: `rule #${i + 1}: ${what}` });
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return bad('not a table');
    const rule = r as Record<string, unknown>;
    if (!stringOrList(rule['toolName'])) return bad('toolName must be a string or a list of strings');
    if (typeof rule['decision'] !== 'string' || !DECISIONS.has(rule['decision']))
      return bad('decision must be allow, deny or ask_user');
    if (!Number.isInteger(rule['priority'])) return bad('priority must be an integer');
    for (const k of ['argsPattern', 'commandRegex', 'mcpName', 'denyMessage', 'deny_message'])
      if (!optionalString(rule[k])) return bad(`${k} must be a string`);
    if (rule['commandPrefix'] !== undefined && !stringOrList(rule['commandPrefix']))
      return bad('commandPrefix must be a string or a list of strings');
    const decision = rule['decision'];
    if (decision === 'allow') continue;
    // an MCP server's tool is never the built-in shell tool
    if (rule['mcpName'] !== undefined) continue;
    const tools = ([] as string[]).concat(rule['toolName'] as string | string[]);
    if (!tools.some((t) => SHELL_TOOLS.has(t))) continue;
    const prefix = rule['commandPrefix'] as string | string[] | undefined;
    const sources = geminiPatterns(
      rule['argsPattern'] as string | undefined,
      prefix,
      rule['commandRegex'] as string | undefined,
    );
    // a rule for every shell command applies to guard's rewritten line as well: Gemini decides it
    if (sources.length === 0) continue;
    const patterns: RegExp[] = [];
    for (const s of sources) {
      try {
        patterns.push(new RegExp(s));
      } catch (err) {
        return bad(`invalid regex ${JSON.stringify(s)}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const shown =
      prefix !== undefined
        ? `commandPrefix = ${JSON.stringify(prefix)}`
        : rule['commandRegex'] !== undefined
          ? `commandRegex = ${JSON.stringify(rule['commandRegex'])}`
          : `argsPattern = ${JSON.stringify(rule['argsPattern'])}`;
    const denyMessage = (rule['denyMessage'] ?? rule['deny_message']) as string | undefined;
    rules.push({ file, decision: decision as GeminiDecision, patterns, shown, denyMessage });
  }
  return { file, rules };
}

/** Gemini's stableStringify of a tool's arguments: sorted keys, top-level pairs between NULs. */
export function geminiArgs(args: Record<string, unknown>): string {
  const pairs = Object.keys(args)
    .sort()
    .filter((k) => args[k] !== undefined)
    .map((k) => `\0${JSON.stringify(k)}:${stable(args[k])}\0`);
  return `{${pairs.join(',')}}`;
}

function stable(v: unknown): string {
  if (v === undefined || v === null || typeof v === 'function' || typeof v === 'symbol') return 'null';
  if (typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .sort()
    .filter((k) => o[k] !== undefined && typeof o[k] !== 'function');
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stable(o[k])}`).join(',')}}`;
}

/** Gemini's stripShellWrapper: `bash -c '…'` (or sh, zsh, a path to one) unwrapped, else unchanged. */
export function stripShellWrapper(command: string): string {
  const m = /^\s*(?:\S+\/)?(?:sh|bash|zsh)\s+-c\s+/i.exec(command);
  if (m === null) return command;
  const rest = command.slice(m[0].length).trim();
  const quoted =
    rest.length >= 2 && ((rest.startsWith('"') && rest.endsWith('"')) || (rest.startsWith("'") && rest.endsWith("'")));
  return quoted ? rest.slice(1, -1) : rest;
}

export type GeminiVerdict = { decision: GeminiDecision; rule: GeminiRule } | { decision: 'unknown'; error: string };

/**
 * The patterns come from files the agent can write: a pattern that backtracks without end must not
 * stall the hook past its deadline (the client would then run the command), so matching runs under
 * a time limit and running out of it is a refusal.
 */
export const MATCH_BUDGET_MS = 2000;

/**
 * The strictest deny/ask rule matching the call: the tool's arguments as Gemini sees them, and each
 * sub-command (guard's parse of the line, its text as written, with `bash -c` unwrapped) as
 * `{command, dir_path}`.
 */
export function geminiDecision(
  rules: readonly GeminiRule[],
  toolInput: Record<string, unknown>,
  command: string,
  subCommands: readonly string[],
): GeminiVerdict | undefined {
  const dirPath = toolInput['dir_path'];
  const texts = new Set<string>();
  for (const t of [command, ...subCommands]) {
    texts.add(t.trim());
    texts.add(stripShellWrapper(t.trim()));
  }
  const subjects = [
    geminiArgs({ ...toolInput, command }),
    ...[...texts].map((t) => geminiArgs({ command: t, dir_path: dirPath })),
  ];
  let hits: number[];
  try {
    hits = runInNewContext(
      'rules.flatMap((patterns, i) => (patterns.some((re) => subjects.some((s) => re.test(s))) ? [i] : []))',
      { rules: rules.map((r) => r.patterns), subjects },
      { timeout: MATCH_BUDGET_MS },
    ) as number[];
  } catch (err) {
    const timedOut = (err as { code?: unknown }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
    return {
      decision: 'unknown',
      error: timedOut
        ? `matching its policy patterns against this command took longer than ${MATCH_BUDGET_MS} ms`
        : `matching its policy patterns failed: ${String(err)}`,
    };
  }
  let best: { decision: GeminiDecision; rule: GeminiRule } | undefined;
  for (const i of hits) {
    const rule = rules[i]!;
    if (best === undefined || (rule.decision === 'deny' && best.decision !== 'deny'))
      best = { decision: rule.decision, rule };
  }
  return best;
}
