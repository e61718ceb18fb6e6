import { DEFAULT_APPROVAL, EFFECT_RANK, RISK_RANK, type CompiledPolicy } from './compiled.js';
import { ruleLookup } from './lookup.js';
import { commandFacts, gateOpen } from './gate.js';
import { tokens, type MatchResult, type Tokens } from './match.js';
import type { Cmd, Sink } from '../shell/model.js';
import type { ApprovalSettings, Decision, Effect, PolicyRequest, Risk, RuleMatch, SimpleCommand } from '../types.js';
import { shellQuote } from '../shell/words.js';

function fill(template: string, cmd: Cmd, tok: Tokens, m: MatchResult, req: PolicyRequest): string {
  const q = (ws: string[]): string => ws.map(shellQuote).join(' ');
  return template.replace(/\{(program|args|target|cwd|user|agent)\}/g, (_all, key: string) => {
    if (key === 'program') return cmd.programPath;
    if (key === 'args') return q(cmd.args.map((w) => w.text));
    if (key === 'target') return q(tok.positional.slice(m.end).map((p) => p.w.text)) || '(none)';
    if (key === 'cwd') return req.cwd;
    if (key === 'user') return req.requester.user;
    return req.requester.agent ?? '(unknown agent)';
  });
}

/**
 * The group conditions of every matching rule, all of which must hold (decision 0120): a list that
 * includes every group of another list is implied by it and dropped; duplicates go.
 */
export function groupConditions(list: ApprovalSettings[]): string[][] {
  const sets = list
    .flatMap((a) => [a.groups, ...(a.alsoGroups ?? [])])
    .filter((g) => g.length > 0)
    .map((g) => [...new Set(g)].sort());
  const includesAll = (a: string[], b: string[]): boolean => b.every((g) => a.includes(g));
  // keep a list unless a smaller one it includes exists (or an equal one came earlier)
  return sets.filter((s, i) => !sets.some((o, j) => j !== i && includesAll(s, o) && (j < i || !includesAll(o, s))));
}

function mergeApproval(list: ApprovalSettings[]): ApprovalSettings {
  if (list.length === 0) return { ...DEFAULT_APPROVAL };
  const min = (f: (a: ApprovalSettings) => number): number => Math.min(...list.map(f));
  const [groups = [], ...alsoGroups] = groupConditions(list);
  return {
    groups,
    ...(alsoGroups.length > 0 ? { alsoGroups } : {}),
    quorum: Math.max(...list.map((a) => a.quorum)),
    grantTtlSeconds: min((a) => a.grantTtlSeconds),
    grantUses: min((a) => a.grantUses),
    timeoutSeconds: min((a) => a.timeoutSeconds),
    fourEyes: list.some((a) => a.fourEyes),
    channels: [...new Set(list.flatMap((a) => a.channels))],
    // scoped grants only when every matching rule allows them, within the smallest bounds
    ...(list.every((a) => a.maxUses !== undefined && a.maxTtlSeconds !== undefined)
      ? { maxUses: min((a) => a.maxUses!), maxTtlSeconds: min((a) => a.maxTtlSeconds!) }
      : {}),
    ...(list.some((a) => a.stepUp === true) ? { stepUp: true } : {}),
    // escalation widens who may decide: only when every matching rule escalates to the same group,
    // at the latest of their times (decision 1083)
    ...(list.every((a) => a.escalate !== undefined && a.escalate.to === list[0]!.escalate?.to)
      ? {
          escalate: { afterSeconds: Math.max(...list.map((a) => a.escalate!.afterSeconds)), to: list[0]!.escalate!.to },
        }
      : {}),
  };
}

function simple(cmd: Cmd): SimpleCommand {
  return {
    program: cmd.program,
    programPath: cmd.programPath,
    args: cmd.args.map((w) => w.text),
    via: cmd.via,
    assignments: cmd.assignments,
    text: cmd.text,
  };
}

/** Judge every simple command found and combine: the strictest effect wins. */
export function decide(policy: CompiledPolicy, req: PolicyRequest, sink: Sink): Decision {
  const ranked: { m: RuleMatch; rank: number }[] = [];
  const approvals: ApprovalSettings[] = [];
  let effect: Effect = 'allow';
  let risk: Risk = 'low';
  let defaulted = false;
  const lookup = ruleLookup(policy);
  sink.commands.forEach((cmd, i) => {
    const tok = tokens(cmd);
    const facts = commandFacts(cmd, tok);
    let any = false;
    for (const rule of lookup.candidates(cmd.program)) {
      if (rule.pinned !== undefined && !rule.pinned.includes(cmd.programPath)) continue;
      if (rule.gate !== undefined && !gateOpen(rule.gate, facts)) continue;
      const m = rule.test(cmd, tok, req);
      if (m === undefined) continue;
      any = true;
      // a deny that holds only through a word computed at run time is a possible deny: unresolved
      const eff: Effect = m.maybe && rule.effect === 'deny' ? policy.onUnresolved : rule.effect;
      const match: RuleMatch = {
        ruleId: rule.id,
        effect: eff,
        risk: rule.risk,
        description: rule.description,
        impact: rule.impact !== undefined ? fill(rule.impact, cmd, tok, m, req) : undefined,
        controls: rule.controls,
        commandIndex: i,
        source: { file: rule.source.file, layer: rule.source.layer },
      };
      // set in this order, as the optional keys of a RuleMatch always were (no temporary objects)
      if (m.maybe) match.possible = true;
      if (rule.credentials !== undefined) match.credentials = rule.credentials;
      if (rule.preview !== undefined) match.preview = rule.preview;
      ranked.push({ m: match, rank: EFFECT_RANK[eff] * 10 + RISK_RANK[rule.risk] });
      if (EFFECT_RANK[eff] > EFFECT_RANK[effect]) effect = eff;
      if (eff !== 'allow' && RISK_RANK[rule.risk] > RISK_RANK[risk]) risk = rule.risk;
      // the same settings object (rules without their own share one, load/compile.ts) merges once
      if (rule.approval !== undefined && !approvals.includes(rule.approval)) approvals.push(rule.approval);
    }
    if (!any && !cmd.wrapper && policy.default !== 'allow') {
      defaulted = true;
      if (EFFECT_RANK[policy.default] > EFFECT_RANK[effect]) effect = policy.default;
    }
  });
  if (sink.unresolved.length > 0 && EFFECT_RANK[policy.onUnresolved] > EFFECT_RANK[effect])
    effect = policy.onUnresolved;
  if (sink.commands.length === 0 && sink.unresolved.length === 0 && policy.default !== 'allow') {
    defaulted = true;
    if (EFFECT_RANK[policy.default] > EFFECT_RANK[effect]) effect = policy.default;
  }
  if (effect !== 'allow' && risk === 'low') risk = 'medium';
  ranked.sort((a, b) => b.rank - a.rank);
  const matches = ranked.map((r) => r.m);
  const reasons: string[] = [];
  for (const m of matches) {
    if (m.effect === 'allow' && effect !== 'allow') continue;
    const cmd = sink.commands[m.commandIndex]!;
    reasons.push(
      `${m.effect} (${m.ruleId}, ${m.risk}${m.possible === true ? ', possible match: an argument is computed at run time' : ''}): ${m.description}${m.impact !== undefined ? ` — ${m.impact}` : ''} [${cmd.text}]`,
    );
  }
  for (const u of sink.unresolved)
    reasons.push(`${policy.onUnresolved} (unresolved ${u.kind}): ${u.detail} [${u.text}]`);
  if (defaulted) reasons.push(`${policy.default} (policy default): a command matched no rule`);
  if (reasons.length === 0) reasons.push('allow: no rule holds any of these commands');
  const needsDefaultApproval =
    effect === 'approve' && (approvals.length === 0 || sink.unresolved.length > 0 || defaulted);
  return {
    effect,
    risk,
    matches,
    commands: sink.commands.map(simple),
    unresolved: sink.unresolved,
    reasons,
    approval:
      effect === 'approve'
        ? mergeApproval(needsDefaultApproval ? [...approvals, DEFAULT_APPROVAL] : approvals)
        : undefined,
    policyDigest: policy.digest,
    ...(sink.scripts.length > 0 ? { scripts: sink.scripts } : {}),
  };
}
