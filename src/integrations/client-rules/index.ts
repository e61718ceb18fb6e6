/**
 * Before guard rewrites a command for Codex or Gemini CLI, it applies the client's own rules to the
 * real command: once rewritten, the client's rules see only guard's `guard exec …` line (Codex
 * takes a rewrite only with "allow"; Gemini checks its policy on the rewritten line). When the
 * client's own rule would refuse the command or ask about it, the hook returns that refusal
 * instead of the rewrite; when guard cannot read the client's rules as the client does, it refuses
 * too (fail closed) and names the file (decision 0818).
 */
import { userHome } from '../config/agents.js';
import type { AgentName, ShellCall, Verdict } from '../types.js';
import { codexDecision, parseCodexRules, showPattern, type CodexRule } from './codex.js';
import { codexRuleDirs, geminiPolicyDirs, readRuleDirs } from './files.js';
import { geminiDecision, parseGeminiPolicy, type GeminiRule } from './gemini.js';

/** A simple command of the line as the daemon judged it. */
export interface JudgedCommand {
  argv: string[];
  text: string;
}

const TAIL =
  "guard holds this command for a human, but the client would judge only guard's rewritten line, so guard returns the client's own answer instead. Nothing ran.";

function block(reason: string): Verdict {
  return { kind: 'block', cause: 'policy', reason };
}

function unreadable(client: string, file: string, error: string): Verdict {
  return block(
    `refused: guard cannot apply ${client}'s own rules to this command as ${client} would (${file}: ${error}), so it does not hand ${client} a rewritten line that would bypass them. Nothing ran. Fix or simplify that file, or ask a human to run the command.`,
  );
}

export async function codexRefusal(
  call: ShellCall,
  commands: readonly JudgedCommand[],
  env: NodeJS.ProcessEnv,
): Promise<Verdict | undefined> {
  const rules: CodexRule[] = [];
  for (const f of await readRuleDirs(codexRuleDirs(env, call.cwd, userHome(env)), '.rules')) {
    if (f.text === undefined) return unreadable('Codex', f.file, f.error ?? 'unreadable');
    const parsed = parseCodexRules(f.file, f.text);
    if ('error' in parsed) return unreadable('Codex', f.file, parsed.error);
    rules.push(...parsed.rules);
  }
  // each simple command, and the whole line as Codex runs it (its fallback for lines it cannot split)
  const argvs = [...commands.map((c) => c.argv), ['bash', '-lc', call.command]];
  const found = codexDecision(rules, argvs);
  if (found === undefined || found.decision === 'allow') return undefined;
  const { rule } = found;
  if (rule === undefined)
    return block(
      `Codex's own check flags this command (${found.argv.join(' ')}: rm with a force option) and no Codex rule allows it: Codex would ask a human about it (or refuse it with approval_policy "never"), and it cannot ask about a line guard rewrites: refused. ${TAIL}`,
    );
  const what = `${rule.file}: prefix_rule(pattern=${showPattern(rule)}, decision="${found.decision}")${rule.justification === undefined ? '' : ` — ${rule.justification}`}`;
  return block(
    found.decision === 'forbidden'
      ? `refused by Codex's own rule (${what}). ${TAIL}`
      : `Codex's own rule asks a human before this runs (${what}), and Codex cannot ask about a line guard rewrites: refused. ${TAIL}`,
  );
}

export async function geminiRefusal(
  call: ShellCall,
  commands: readonly JudgedCommand[],
  env: NodeJS.ProcessEnv,
): Promise<Verdict | undefined> {
  const rules: GeminiRule[] = [];
  for (const f of await readRuleDirs(geminiPolicyDirs(call.cwd, userHome(env)), '.toml')) {
    if (f.text === undefined) return unreadable('Gemini CLI', f.file, f.error ?? 'unreadable');
    const parsed = parseGeminiPolicy(f.file, f.text);
    if ('error' in parsed) return unreadable('Gemini CLI', f.file, parsed.error);
    rules.push(...parsed.rules);
  }
  const found = geminiDecision(
    rules,
    call.toolInput,
    call.command,
    commands.map((c) => c.text),
  );
  if (found === undefined) return undefined;
  if (found.decision === 'unknown') return unreadable('Gemini CLI', 'its policy files', found.error);
  const what = `${found.rule.file}: ${found.rule.shown}, decision = "${found.decision}"${found.rule.denyMessage === undefined ? '' : ` — ${found.rule.denyMessage}`}`;
  return block(
    found.decision === 'deny'
      ? `refused by Gemini CLI's own policy (${what}). ${TAIL}`
      : `Gemini CLI's own policy asks a human before this runs (${what}), and it would ask about guard's line instead: refused. ${TAIL}`,
  );
}

/**
 * The client's own refusal of a command guard is about to rewrite, for the clients whose rules
 * would otherwise see only the rewritten line; undefined when the client would run it.
 */
export async function clientRefusal(
  agent: AgentName,
  call: ShellCall,
  commands: readonly JudgedCommand[] | undefined,
  env: NodeJS.ProcessEnv,
): Promise<Verdict | undefined> {
  if (agent !== 'codex' && agent !== 'gemini') return undefined;
  // a daemon that does not list the line's commands (an older one): the rules cannot be applied
  if (commands === undefined)
    return {
      kind: 'block',
      cause: 'guard',
      reason: `the daemon did not list the commands of this line, so guard cannot apply ${agent}'s own rules before rewriting it (restart the daemon: guard daemon stop)`,
    };
  if (agent === 'codex') return codexRefusal(call, commands, env);
  return geminiRefusal(call, commands, env);
}
