/**
 * Codex's `.rules` and Gemini CLI's policy TOML, read and matched as the clients do (decision
 * 0818). The semantics checked here are the clients' own (see the module headers for the source
 * lines); the real clients apply the same files in test/agents/{codex,gemini}.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  codexDecision,
  codexFlagsDangerous,
  parseCodexRules,
  type CodexRule,
} from '../../src/integrations/client-rules/codex.js';
import {
  geminiArgs,
  geminiDecision,
  parseGeminiPolicy,
  stripShellWrapper,
  type GeminiRule,
} from '../../src/integrations/client-rules/gemini.js';

function codexRules(text: string): CodexRule[] {
  const parsed = parseCodexRules('/h/.codex/rules/default.rules', text);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.rules;
}

describe("Codex's rules", () => {
  const rules = codexRules(`
# comments, keyword and positional arguments, alternatives, trailing commas
prefix_rule(pattern=["rm"], decision="forbidden", justification="use trash instead")
prefix_rule(["git", ["push", "reset"]], "prompt",)
prefix_rule(
    pattern = ["git", "status"],
    match = ["git status", ["git", "status", "-s"]],
)
host_executable(name = "rm", paths = ["/bin/rm"])
network_rule(host = "example.com", protocol = "https", decision = "deny")
`);

  it('reads literal calls: decision (allow by default), pattern alternatives, justification', () => {
    expect(rules.map((r) => [r.pattern, r.decision, r.justification])).toEqual([
      [[['rm']], 'forbidden', 'use trash instead'],
      [[['git'], ['push', 'reset']], 'prompt', undefined],
      [[['git'], ['status']], 'allow', undefined],
    ]);
  });

  it('matches argv prefixes; the strictest decision over all commands wins', () => {
    expect(codexDecision(rules, [['git', 'status']])?.decision).toBe('allow');
    expect(codexDecision(rules, [['git', 'reset', '--hard']])?.decision).toBe('prompt');
    expect(codexDecision(rules, [['git', 'pull']])).toBeUndefined();
    expect(codexDecision(rules, [['git'], ['ls']])).toBeUndefined();
    const both = codexDecision(rules, [
      ['git', 'push'],
      ['rm', '-f', 'x'],
      ['git', 'status'],
    ]);
    expect([both?.decision, both?.argv]).toEqual(['forbidden', ['rm', '-f', 'x']]);
  });

  it('an absolute program path matches a rule for its basename (stricter than host_executable)', () => {
    expect(codexDecision(rules, [['/usr/bin/rm', 'x']])?.decision).toBe('forbidden');
    expect(codexDecision(rules, [['./rm', 'x']])).toBeUndefined();
    expect(codexDecision(rules, [['rmdir', 'x']])).toBeUndefined();
  });

  // Codex's own cases (is_dangerous_command.rs tests)
  it.each([
    [['rm', '-rf', '/'], true],
    [['rm', '-f', '/'], true],
    [['/bin/rm', '-fr', '/tmp/x'], true],
    [['rm', '-r', '-f', '/tmp/x'], true],
    [['rm', '--force', '/tmp/x'], true],
    [['rm', '/tmp/x', '-f'], true],
    [['sudo', 'rm', '-rf', '/tmp/x'], true],
    [['rm', '-r', '/tmp/x'], false],
    [['rm', '--', '-f'], false],
    [['echo', 'rm -rf /tmp/x'], false],
  ])("Codex's check for commands no rule matches flags a forced rm: %j → %s", (argv, flagged) => {
    expect(codexFlagsDangerous(argv)).toBe(flagged);
    // a rule that matches the command decides instead (an allow rule lets Codex run it)
    const allowRm = codexRules('prefix_rule(pattern=["rm"], decision="allow")');
    expect(codexDecision([], [argv])?.decision).toBe(flagged ? 'prompt' : undefined);
    if (argv[0] === 'rm') expect(codexDecision(allowRm, [argv])?.decision).toBe('allow');
  });

  it.each([
    ['a variable', 'P = ["rm"]\nprefix_rule(pattern=P, decision="forbidden")'],
    ['a loop', 'for p in ["rm"]:\n    prefix_rule(pattern=[p], decision="forbidden")'],
    ['an f-string', 'prefix_rule(pattern=[f"rm"], decision="forbidden")'],
    ['a function of its own', 'def f():\n    pass'],
    ['an unknown call', 'load("x.star", "y")'],
    ['a triple-quoted string', 'prefix_rule(pattern=["""rm"""])'],
    ['a bad decision', 'prefix_rule(pattern=["rm"], decision="deny")'],
    ['an empty pattern', 'prefix_rule(pattern=[], decision="forbidden")'],
    ['an unterminated call', 'prefix_rule(pattern=["rm"]'],
  ])('a file with %s is reported, not half read', (_what, text) => {
    const parsed = parseCodexRules('/h/.codex/rules/x.rules', text);
    expect('error' in parsed ? parsed.error : 'read').not.toBe('read');
  });
});

function geminiRules(text: string): GeminiRule[] {
  const parsed = parseGeminiPolicy('/h/.gemini/policies/own.toml', text);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.rules;
}

describe("Gemini CLI's policy files", () => {
  const rules = geminiRules(`
[[rule]]
toolName = "run_shell_command"
commandPrefix = ["rm", "git push"]
decision = "deny"
priority = 500
denyMessage = "not here"

[[rule]]
toolName = ["run_shell_command", "write_file"]
commandRegex = "curl .*\\\\|"
decision = "ask_user"
priority = 100

[[rule]]
toolName = "run_shell_command"
commandPrefix = "git"
decision = "allow"
priority = 999

[[rule]]
toolName = "run_shell_command"
decision = "ask_user"
priority = 1

[[rule]]
toolName = "read_file"
decision = "deny"
priority = 1

[[rule]]
toolName = "run_shell_command"
mcpName = "srv"
commandPrefix = "ls"
decision = "deny"
priority = 1
`);
  const decide = (command: string, subs: string[] = []) => geminiDecision(rules, { command }, command, subs)?.decision;

  it('keeps only deny and ask rules that constrain the shell command', () => {
    expect(rules.map((r) => [r.decision, r.shown])).toEqual([
      ['deny', 'commandPrefix = ["rm","git push"]'],
      ['ask_user', 'commandRegex = "curl .*\\\\|"'],
    ]);
  });

  it("matches a prefix as Gemini's pattern does: the word, then a space or the end", () => {
    expect(decide('rm -rf x')).toBe('deny');
    expect(decide('rm')).toBe('deny');
    expect(decide('rmdir x')).toBeUndefined();
    expect(decide('git push origin')).toBe('deny');
    expect(decide('git pushx')).toBeUndefined();
    expect(decide('curl https://x | sh')).toBe('ask_user');
  });

  it('judges each sub-command and an unwrapped bash -c, as Gemini does', () => {
    expect(decide('echo a && rm x', ['echo a', 'rm x'])).toBe('deny');
    expect(decide(`bash -c 'rm x'`, [`bash -c 'rm x'`])).toBe('deny');
    expect(stripShellWrapper(`/bin/sh -c "git push"`)).toBe('git push');
    // deny is stricter than ask
    expect(decide('curl a | rm x', ['curl a', 'rm x'])).toBe('deny');
  });

  it("writes the arguments as Gemini's stableStringify does", () => {
    expect(geminiArgs({ dir_path: 'd', command: 'ls "x"' })).toBe('{\0"command":"ls \\"x\\""\0,\0"dir_path":"d"\0}');
  });

  it('a pattern that backtracks without end is stopped and reported, not waited for', () => {
    const slow = geminiRules(
      '[[rule]]\ntoolName = "run_shell_command"\ncommandRegex = "(a|a)*b"\ndecision = "deny"\npriority = 1\n',
    );
    const command = `${'a'.repeat(60)}c`;
    const found = geminiDecision(slow, { command }, command, []);
    expect(found?.decision).toBe('unknown');
    expect(found !== undefined && 'error' in found ? found.error : '').toContain('took longer than');
  });

  it.each([
    ['broken TOML', '[[rule]\ntoolName = "x"'],
    ['a rule without priority', '[[rule]]\ntoolName = "run_shell_command"\ndecision = "deny"'],
    ['an unknown decision', '[[rule]]\ntoolName = "run_shell_command"\ndecision = "block"\npriority = 1'],
    [
      'a regex that does not compile',
      '[[rule]]\ntoolName = "run_shell_command"\ncommandRegex = "("\ndecision = "deny"\npriority = 1',
    ],
  ])('a file with %s is reported', (_what, text) => {
    const parsed = parseGeminiPolicy('/h/.gemini/policies/bad.toml', text);
    expect('error' in parsed).toBe(true);
  });
});
