import { createHash } from 'node:crypto';
import { compileGlob, isLiteral, literalAlternatives } from '../rules/glob.js';
import { compileMatch } from '../rules/match.js';
import { ruleGate } from '../rules/gate.js';
import { EFFECT_RANK, DEFAULT_APPROVAL, type CompiledPolicy, type CompiledRule } from '../rules/compiled.js';
import { PolicyLoadError } from '../errors.js';
import { programName } from '../programs/families.js';
import { fileSchema, seconds, type ApprovalDoc, type FileDoc, type RuleDoc } from './schema.js';
import type { ApprovalSettings, Effect, PolicyLayer, Risk } from '../types.js';
import { shippedSnapshot } from './shipped.js';
import { locatedFromSnapshot, parseYaml } from './yamlpos.js';
import type { Engine, LoadedPolicy } from '../index.js';
import { checkExamples } from './check-examples.js';
import { messageOf } from '../../errors.js';

export interface PolicyDoc {
  file: string;
  layer: PolicyLayer;
  text: string;
  /**
   * The file may only add approve/deny rules with new ids and tighten settings (decision 0121):
   * always for the project layer; for the other layers an agent can write or name, unless signed.
   */
  tightenOnly?: boolean | undefined;
  /** The approver whose signature over this file verified. */
  signedBy?: string | undefined;
}

const DEFAULT_RISK: Record<Effect, Risk> = { allow: 'low', approve: 'medium', deny: 'high' };

/**
 * Rules with the same approval block share one settings object, so a decision that many such
 * rules hold merges it once (rules/decide.ts). Nothing changes a rule's settings after compiling.
 */
const sharedApprovals = new Map<string, ApprovalSettings>();

function approvalOf(a: ApprovalDoc | undefined): ApprovalSettings {
  const key = JSON.stringify(a ?? null);
  let s = sharedApprovals.get(key);
  if (s === undefined) {
    if (sharedApprovals.size >= 4096) sharedApprovals.clear();
    s = settingsOf(a);
    sharedApprovals.set(key, s);
  }
  return s;
}

function settingsOf(a: ApprovalDoc | undefined): ApprovalSettings {
  return {
    groups: a?.groups ?? DEFAULT_APPROVAL.groups,
    quorum: a?.quorum ?? DEFAULT_APPROVAL.quorum,
    grantTtlSeconds: seconds(a?.ttl, DEFAULT_APPROVAL.grantTtlSeconds),
    grantUses: a?.uses ?? DEFAULT_APPROVAL.grantUses,
    timeoutSeconds: seconds(a?.timeout, DEFAULT_APPROVAL.timeoutSeconds),
    fourEyes: a?.four_eyes ?? DEFAULT_APPROVAL.fourEyes,
    channels: a?.channels ?? DEFAULT_APPROVAL.channels,
    ...(a?.max_uses === undefined && a?.max_ttl === undefined
      ? {}
      : {
          maxUses: a.max_uses ?? a.uses ?? DEFAULT_APPROVAL.grantUses,
          maxTtlSeconds: seconds(a.max_ttl, seconds(a.ttl, DEFAULT_APPROVAL.grantTtlSeconds)),
        }),
    ...(a?.identity === 'step-up' ? { stepUp: true } : {}),
    ...(a?.escalate === undefined
      ? {}
      : { escalate: { afterSeconds: seconds(a.escalate.after, 0), to: a.escalate.to } }),
  };
}

function compileRule(
  r: RuleDoc,
  source: CompiledRule['source'],
  at: (p: PropertyKey[]) => string,
  base: PropertyKey[],
  problems: string[],
): CompiledRule | undefined {
  let test;
  try {
    test = compileMatch(r.match);
  } catch (err) {
    problems.push(`${at([...base, 'match'])}: rule ${r.id}: ${messageOf(err)}`);
    return undefined;
  }
  const programs = typeof r.match.program === 'string' ? [r.match.program] : r.match.program;
  const pinned = programs.filter((p) => p.startsWith('/'));
  if (pinned.length > 0 && pinned.length !== programs.length) {
    problems.push(
      `${at([...base, 'match', 'program'])}: rule ${r.id}: mix of pinned absolute paths and program names; write two rules`,
    );
    return undefined;
  }
  if (r.approval !== undefined && r.effect !== 'approve') {
    problems.push(
      `${at([...base, 'approval'])}: rule ${r.id}: approval settings only apply to effect approve (this rule is ${r.effect})`,
    );
    return undefined;
  }
  const globbed = pinned.length === 0 && programs.some((p) => literalAlternatives(p) === undefined);
  return {
    id: r.id,
    description: r.description,
    effect: r.effect,
    risk: r.risk ?? DEFAULT_RISK[r.effect],
    impact: r.impact,
    ...(r.credentials === undefined ? {} : { credentials: [...new Set(r.credentials)] }),
    ...(r.preview === undefined || r.credentials === undefined ? {} : { preview: r.preview }),
    controls: r.controls ?? [],
    approval: r.effect === 'approve' ? approvalOf(r.approval) : undefined,
    source,
    programs,
    pinned: pinned.length > 0 ? pinned : undefined,
    programGlob: globbed
      ? (
          (g) => (s: string) =>
            g.some((f) => f(s))
        )(programs.map((p) => compileGlob(p, true)))
      : undefined,
    test,
    gate: ruleGate(r.match),
    examples: {
      match: (r.examples?.match ?? []).map((text, j) => ({ text, at: at([...base, 'examples', 'match', j]) })),
      noMatch: (r.examples?.no_match ?? []).map((text, j) => ({ text, at: at([...base, 'examples', 'no_match', j]) })),
    },
    matchDoc: r.match,
  };
}

function indexKeys(rule: CompiledRule): string[] {
  if (rule.pinned) return rule.pinned.map(programName);
  return rule.programs.flatMap((p) =>
    isLiteral(p) ? [p.toLowerCase()] : (literalAlternatives(p) ?? []).map((s) => s.toLowerCase()),
  );
}

function checkedDoc(value: unknown): { success: true; data: FileDoc } {
  return { success: true, data: value as FileDoc };
}

/** The digest of a set of policy texts: every byte of every file, with its layer and path. */
export function policyDigest(docs: readonly PolicyDoc[]): string {
  return createHash('sha256')
    .update(JSON.stringify(docs.map((d) => [d.layer, d.file, d.text])))
    .digest('hex');
}

/**
 * Compile policy texts (already read) into one policy. Later layers override earlier ones, except
 * that the project layer may only tighten. Throws PolicyLoadError listing every problem as
 * `file:line:col: what is wrong`. With an engine, rule examples are judged exactly as commands are.
 */
export function compilePolicy(
  docs: PolicyDoc[],
  opts: {
    engine?: Engine;
    /** Leave the examples to the caller (see example-cache.ts). */ skipExamples?: boolean;
  } = {},
): LoadedPolicy {
  const problems: string[] = [];
  const warnings: string[] = [];
  const loosenings: string[] = [];
  let def: Effect = 'approve';
  let onUnresolved: 'approve' | 'deny' = 'approve';
  const settingsSource = { default: '(built-in)', onUnresolved: '(built-in)' };
  const rules = new Map<string, CompiledRule>();
  const disabled: CompiledPolicy['disabled'] = [];
  for (const d of docs) {
    const snap = shippedSnapshot(d.text);
    const y = snap !== undefined ? locatedFromSnapshot(d.file, snap) : parseYaml(d.file, d.text);
    if (y.errors.length > 0) {
      problems.push(...y.errors);
      continue;
    }
    if (y.value === null || y.value === undefined) {
      warnings.push(`${d.file}: empty policy file, ignored`);
      continue;
    }
    // the build validated a shipped text already (shipped-build.ts); any other text is validated here
    const parsed = snap?.checked === true ? checkedDoc(y.value) : fileSchema.safeParse(y.value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        // point an unknown key at the key itself, not at the object holding it
        const path =
          issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined
            ? [...issue.path, issue.keys[0]]
            : issue.path;
        problems.push(`${y.at(path)}: ${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
      }
      continue;
    }
    const f: FileDoc = parsed.data;
    const project = d.layer === 'project';
    const tighten = project || d.tightenOnly === true;
    const who = project
      ? 'the project layer'
      : `this ${d.layer} policy file is not signed by an approver (\`guard policy sign\`) and`;
    const ignore = (text: string): void => {
      warnings.push(text);
      loosenings.push(text);
    };
    const setting = <T extends Effect>(
      key: 'default' | 'on_unresolved',
      value: T | undefined,
      current: T,
      apply: (v: T) => void,
    ): void => {
      if (value === undefined) return;
      if (tighten && EFFECT_RANK[value] < EFFECT_RANK[current]) {
        ignore(`${y.at([key])}: ${who} may only tighten: ${key} ${value} is looser than ${current}, ignored`);
        return;
      }
      apply(value);
    };
    setting('default', f.default, def, (v) => {
      def = v;
      settingsSource.default = d.file;
    });
    setting('on_unresolved', f.on_unresolved, onUnresolved, (v) => {
      onUnresolved = v;
      settingsSource.onUnresolved = d.file;
    });
    for (const [i, id] of (f.disable ?? []).entries()) {
      if (tighten) ignore(`${y.at(['disable', i])}: ${who} may not disable rules (${id}), ignored`);
      else if (rules.delete(id)) disabled.push({ id, file: d.file });
      else warnings.push(`${y.at(['disable', i])}: no rule ${id} to disable`);
    }
    const seen = new Set<string>();
    for (const [i, r] of (f.rules ?? []).entries()) {
      const at = (p: PropertyKey[]): string => y.at(p);
      const base: PropertyKey[] = ['rules', i];
      if (seen.has(r.id)) {
        problems.push(`${at([...base, 'id'])}: duplicate rule id ${r.id} in this file`);
        continue;
      }
      seen.add(r.id);
      if (tighten && r.effect === 'allow') {
        ignore(`${at([...base, 'effect'])}: rule ${r.id}: ${who} may only tighten; an allow rule there is ignored`);
        continue;
      }
      if (tighten && rules.has(r.id)) {
        ignore(
          `${at([...base, 'id'])}: rule ${r.id}: ${who} may not replace a rule from ${rules.get(r.id)!.source.file}; ignored (give it a new id)`,
        );
        continue;
      }
      const line = Number(/:(\d+):\d+$/.exec(at(base))?.[1] ?? 0);
      // handing a command credentials loosens: the rule still applies, without them
      if (tighten && r.credentials !== undefined)
        ignore(`${at([...base, 'credentials'])}: rule ${r.id}: ${who} may not give commands credentials; ignored`);
      const doc = tighten ? { ...r, credentials: undefined } : r;
      const c = compileRule(doc, { file: d.file, layer: d.layer, line }, at, base, problems);
      if (c !== undefined) rules.set(r.id, c);
    }
  }
  if (problems.length > 0) throw new PolicyLoadError(problems);
  const list = [...rules.values()];
  const byProgram = new Map<string, CompiledRule[]>();
  const anyProgram: CompiledRule[] = [];
  for (const r of list) {
    if (r.programGlob) {
      anyProgram.push(r);
      continue;
    }
    for (const k of indexKeys(r)) {
      const arr = byProgram.get(k);
      if (arr) arr.push(r);
      else byProgram.set(k, [r]);
    }
  }
  const digest = policyDigest(docs);
  const policy: CompiledPolicy = {
    digest,
    default: def,
    onUnresolved,
    rules: list,
    byProgram,
    anyProgram,
    settingsSource,
    disabled,
  };
  const files = docs.map((d) => d.file);
  if (opts.skipExamples === true) return { policy, digest, warnings, loosenings, files, docs, examplesUnchecked: true };
  const exampleProblems = checkExamples(policy, opts.engine);
  if (exampleProblems.length > 0) throw new PolicyLoadError(exampleProblems);
  return { policy, digest, warnings, loosenings, files, docs };
}
