/**
 * Cheap conditions a rule's match needs before its predicate can hold, computed once per rule when
 * the policy is compiled, and the facts of a command they are checked against, computed once per
 * command. A rule whose gate is closed is not tested: every condition here is one the rule's
 * predicate (src/policy/rules/match.ts) also requires, so a closed gate means the predicate would
 * answer "no match" and skipping it changes no decision (decision 0028). With 1,000 rules most of
 * a program's rules name another first subcommand or need something the command lacks (output
 * redirections, line assignments, flags), and the judge no longer calls them.
 * test/policy/gate.test.ts checks every closed gate against the predicate over the corpora.
 */
import { literalAlternatives } from './glob.js';
import type { MatchDoc } from '../load/schema.js';
import type { Cmd } from '../shell/model.js';
import type { Tokens } from './match.js';

/** Output redirections (`writes`). */
const WRITES = 1;
/** Programs feeding the command (`fed_by`). */
const FED_BY = 2;
/** Wrappers around the command (`via`). */
const VIA = 4;
/** Assignments on the line (an `env` key with glob characters matches only those). */
const ASSIGNED = 8;
/** Options before `--` (`flags`). */
const FLAGS = 16;
/** Arguments (`any_arg`). */
const ARGS = 32;
/** Positional words (`subcommand`). */
const POSITIONAL = 64;

export interface RuleGate {
  /** Facts the command must have (bits above). */
  needs: number;
  /** The literal spellings of the first subcommand word, when it has no wildcard and no ignore_case. */
  first: ReadonlySet<string> | undefined;
}

/** What every command offers the gates: its facts and the words a first subcommand may be. */
export interface CommandFacts {
  has: number;
  /** Positional words the first subcommand glob is tried on (until one no option precedes). */
  firstWords: string[];
  /** One of those words is computed at run time: it may be any subcommand. */
  firstComputed: boolean;
}

export function ruleGate(m: MatchDoc): RuleGate {
  let needs = 0;
  if (m.writes !== undefined) needs |= WRITES;
  if (m.fed_by !== undefined) needs |= FED_BY;
  if (m.via !== undefined) needs |= VIA;
  if (Object.keys(m.env ?? {}).some((k) => /[*?[]/.test(k))) needs |= ASSIGNED;
  if ((m.flags ?? []).length > 0) needs |= FLAGS;
  if (m.any_arg !== undefined) needs |= ARGS;
  const sub = m.subcommand === undefined ? [] : typeof m.subcommand === 'string' ? [m.subcommand] : m.subcommand;
  let first: Set<string> | undefined;
  if (sub.length > 0) {
    needs |= POSITIONAL;
    const alts = m.ignore_case === true ? undefined : literalAlternatives(sub[0]!);
    if (alts !== undefined) first = new Set(alts);
  }
  return { needs, first };
}

export function commandFacts(cmd: Cmd, tok: Tokens): CommandFacts {
  let has = 0;
  if (cmd.writes.length > 0) has |= WRITES;
  if (cmd.fedBy.length > 0) has |= FED_BY;
  if (cmd.via.length > 0) has |= VIA;
  for (const _k in cmd.assignments) {
    has |= ASSIGNED;
    break;
  }
  if (tok.flags.length > 0) has |= FLAGS;
  if (tok.args.length > 0) has |= ARGS;
  if (tok.positional.length > 0) has |= POSITIONAL;
  const firstWords: string[] = [];
  let firstComputed = false;
  // the same words the subcommand matcher (`seq`) tries for the first glob
  for (const p of tok.positional) {
    if (p.w.lead) firstComputed = true;
    else firstWords.push(p.w.text);
    if (!p.maybeValue) break;
  }
  return { has, firstWords, firstComputed };
}

/** False only when the rule's predicate cannot hold for a command with these facts. */
export function gateOpen(g: RuleGate, f: CommandFacts): boolean {
  if ((g.needs & ~f.has) !== 0) return false;
  const first = g.first;
  if (first === undefined || f.firstComputed) return true;
  for (const w of f.firstWords) if (first.has(w)) return true;
  return false;
}
