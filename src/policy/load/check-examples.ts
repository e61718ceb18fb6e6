import type { CompiledPolicy, CompiledRule } from '../rules/compiled.js';
import type { Engine } from '../index.js';
import { tokens } from '../rules/match.js';
import { programName } from '../programs/families.js';
import { splitWords } from '../shell/split.js';
import type { PolicyRequest } from '../types.js';
import { lit } from '../shell/words.js';

const EXAMPLE_CONTEXT: Omit<PolicyRequest, 'argv'> = {
  cwd: '/home/agent/project',
  requester: { user: 'agent', agent: 'example' },
};

/** Without the shell parser only plain simple commands of the rule's own program can be checked. */
function checkable(rule: CompiledRule, line: string, engine: Engine | undefined): boolean {
  if (engine !== undefined) return true;
  if (/[|&;<>()$`\n]/.test(line)) return false;
  const program = splitWords(line)[0];
  if (program === undefined) return false;
  return rule.pinned
    ? rule.pinned.includes(program)
    : rule.programGlob
      ? rule.programGlob(programName(program))
      : rule.programs.some((p) => p.toLowerCase().split('|').includes(programName(program)));
}

/** Does the rule match this example line? With an engine, the full shell-aware analysis is used. */
function matches(rule: CompiledRule, line: string, policy: CompiledPolicy, engine: Engine | undefined): boolean {
  if (engine !== undefined) {
    const memo = engine.exampleMemo;
    const key = memo !== undefined ? `${rule.id}\0${JSON.stringify(rule.matchDoc)}\0${line}` : '';
    const known = memo?.get(key);
    if (known !== undefined) return known;
    const d = engine.evaluate({ ...EXAMPLE_CONTEXT, argv: ['sh', '-c', line], shell: line }, policy);
    const hit = d.matches.some((m) => m.ruleId === rule.id);
    if (memo !== undefined && memo.size < 100_000) memo.set(key, hit);
    return hit;
  }
  const [program, ...args] = splitWords(line);
  if (program === undefined) return false;
  const cmd = {
    wrapper: false,
    program: programName(program),
    programPath: program,
    args: args.map(lit),
    via: [],
    assignments: {},
    text: line,
    fedBy: [],
    stdin: undefined,
    writes: [],
    dirs: [],
    fileText: [],
  };
  if (
    rule.pinned
      ? !rule.pinned.includes(program)
      : rule.programGlob
        ? !rule.programGlob(cmd.program)
        : !rule.programs.some((p) => p.toLowerCase().split('|').includes(cmd.program))
  )
    return false;
  return rule.test(cmd, tokens(cmd), { ...EXAMPLE_CONTEXT, argv: [program, ...args] }) !== undefined;
}

/**
 * Every example that does not behave as its rule says, as `file:line:col: …`. With an engine every
 * example is judged as a command line; without one (pure compile) only plain simple commands of
 * the rule's own program are checked, and the rest wait for loadPolicy / `guard policy lint`.
 */
export function checkExamples(policy: CompiledPolicy, engine: Engine | undefined): string[] {
  return policy.rules.flatMap((rule) => ruleProblems(rule, policy, engine));
}

/**
 * checkExamples for a daemon that is already serving: one rule at a time, letting requests in
 * between, so a re-check never holds up a command for long.
 */
export async function checkExamplesInTurns(policy: CompiledPolicy, engine: Engine): Promise<string[]> {
  const problems: string[] = [];
  for (const rule of policy.rules) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    problems.push(...ruleProblems(rule, policy, engine));
  }
  return problems;
}

function ruleProblems(rule: CompiledRule, policy: CompiledPolicy, engine: Engine | undefined): string[] {
  const problems: string[] = [];
  for (const ex of rule.examples.match) {
    if (!checkable(rule, ex.text, engine)) continue;
    if (!matches(rule, ex.text, policy, engine))
      problems.push(`${ex.at}: rule ${rule.id}: example ${JSON.stringify(ex.text)} should match the rule but does not`);
  }
  for (const ex of rule.examples.noMatch) {
    if (!checkable(rule, ex.text, engine)) continue;
    if (matches(rule, ex.text, policy, engine))
      problems.push(`${ex.at}: rule ${rule.id}: no_match example ${JSON.stringify(ex.text)} matches the rule`);
  }
  return problems;
}
