import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { Language, Parser } from 'web-tree-sitter';
import { DEFAULT_APPROVAL, type CompiledPolicy } from './rules/compiled.js';
import { addUnresolved, type Analysis, type Base } from './shell/context.js';
import { judgeAutoExecWrites } from './programs/autoexec-writes.js';
import { decide } from './rules/decide.js';
import { NO_STDIN } from './shell/model.js';
import { resolveCommand } from './shell/resolve.js';
import { ruleLookup } from './rules/lookup.js';
import { parseScript } from './shell/parse.js';
import type { Decision, PolicyRequest } from './types.js';
import { lit, shellQuote } from './shell/words.js';
import { messageOf } from '../errors.js';

export interface Engine {
  /** Pure and synchronous; never throws: anything it cannot read is unresolved. */
  evaluate(req: PolicyRequest, policy: CompiledPolicy): Decision;
  /**
   * Results of rule examples already judged by this engine, keyed by the rule's id, match block
   * and example text (a rule matching depends on nothing else). Lets a long-lived daemon load the
   * policy for many working directories without judging the same examples again.
   */
  readonly exampleMemo?: Map<string, boolean>;
}

/**
 * Read a request into the simple commands it runs. `treeOnly` reads plain lines with the parser
 * too (test/policy/plain.test.ts compares both readings).
 */
export function analyse(parser: Parser, req: PolicyRequest, policy: CompiledPolicy, treeOnly = false): Analysis {
  // which programs the policy knows: rules for unknown programs are searched for inside them
  const { interesting, unknown } = ruleLookup(policy);
  const a: Analysis = {
    parser,
    sink: { commands: [], unresolved: [], nodes: 0, scripts: [] },
    files: new Map(),
    readFiles: req.files,
    judging: new Set(),
    dirs: [],
    cwd: req.cwd.startsWith('/') ? req.cwd : '/',
    downloaders: [],
    interesting,
    unknown,
    treeOnly,
  };
  const text = req.shell ?? req.argv.map(shellQuote).join(' ');
  const base: Base = { via: [], assignments: {}, stdin: NO_STDIN, argFedBy: [], writes: [], text, depth: 0 };
  try {
    if (req.shell !== undefined) parseScript(a, req.shell, base);
    else if (req.argv.length === 0) addUnresolved(a, 'empty', '', 'no command given');
    else resolveCommand(a, req.argv.map(lit), base);
    // files that run later (Makefile, git hooks, .bashrc …): judged as running what was written
    if (a.files.size > 0) judgeAutoExecWrites(a);
  } catch (err) {
    addUnresolved(a, 'internal', text.slice(0, 200), `the analyser failed: ${messageOf(err)}`);
  }
  return a;
}

/** The decision when guard could not judge a command: the policy's `on_unresolved`, never allow. */
export function failedDecision(policy: CompiledPolicy, detail: string): Decision {
  return {
    effect: policy.onUnresolved,
    risk: 'high',
    matches: [],
    commands: [],
    unresolved: [{ kind: 'internal', text: '', detail }],
    reasons: [`${policy.onUnresolved} (unresolved internal): guard could not judge this command`],
    approval: policy.onUnresolved === 'approve' ? { ...DEFAULT_APPROVAL } : undefined,
    policyDigest: policy.digest,
  };
}

/** Initialise the shell parser (web-tree-sitter + tree-sitter-bash wasm) once; reuse the engine. */
export async function createEngine(): Promise<Engine> {
  // The bash grammar is one large WebAssembly module. V8's optimising tier spends over a second of
  // CPU compiling it in background threads (on every daemon start and every `guard check`), and the
  // baseline code it replaces parses as fast here; keep the baseline. See docs/decisions/0006.
  setFlagsFromString('--liftoff-only');
  await Parser.init();
  const require = createRequire(import.meta.url);
  const language = await Language.load(require.resolve('tree-sitter-bash/tree-sitter-bash.wasm'));
  const parser = new Parser();
  parser.setLanguage(language);
  return {
    exampleMemo: new Map<string, boolean>(),
    evaluate(req, policy) {
      const a = analyse(parser, req, policy);
      try {
        return decide(policy, req, a.sink);
      } catch (err) {
        return failedDecision(policy, `the decision failed: ${messageOf(err)}`);
      }
    },
  };
}
