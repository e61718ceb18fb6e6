import type { Parser } from 'web-tree-sitter';
import { LIMITS, type Cmd, type Sink, type StdinInfo, type WrittenFile } from './model.js';
import type { ScriptFile, Unresolved } from '../types.js';

/** What a command inherits from where it appears in the line. */
export interface Base {
  via: string[];
  assignments: Record<string, string>;
  stdin: StdinInfo;
  /** Programs found in substitutions among this command's own words. */
  argFedBy: string[];
  /** Output redirection targets that apply to this command. */
  writes: string[];
  text: string;
  /** Nesting of scripts parsed from strings (sh -c, heredocs, ssh). */
  depth: number;
}

/**
 * `b` with some fields replaced. Every Base built here has the same shape, so the judge's hottest
 * copies (one or more per simple command) stay cheap; spreads of differently built objects are not.
 */
export function derive(b: Base, over: Partial<Base>): Base {
  return {
    via: over.via ?? b.via,
    assignments: over.assignments ?? b.assignments,
    stdin: over.stdin ?? b.stdin,
    argFedBy: over.argFedBy ?? b.argFedBy,
    writes: over.writes ?? b.writes,
    text: over.text ?? b.text,
    depth: over.depth ?? b.depth,
  };
}

/** One evaluation's mutable scratch space; created per call of evaluate, never shared. */
export interface Analysis {
  parser: Parser;
  sink: Sink;
  /** Files written earlier in the line (`echo … > x.sh`, `curl -o x.sh`), by normalised path. */
  files: Map<string, WrittenFile>;
  /** Literal `cd` targets seen so far (relative ones resolve against the request's cwd). */
  dirs: string[];
  /** The request's working directory. */
  cwd: string;
  /** Script files read by the caller (PolicyRequest.files); undefined: judge the line alone. */
  readFiles: Readonly<Record<string, ScriptFile>> | undefined;
  /** Script files whose content is being judged now (a script running itself is judged once). */
  judging: Set<string>;
  /** Downloaders (curl, wget …) seen so far in the line. */
  downloaders: string[];
  /** A program the policy has rules for, or that the analyser unwraps: worth finding inside unknown programs. */
  interesting(name: string): boolean;
  /** No rule allows this program and the analyser does not unwrap it: it may be an unknown wrapper. */
  unknown(name: string): boolean;
  /** Read plain lines with the parser as well (only tests set it: they compare both readings). */
  treeOnly: boolean;
}

export function addUnresolved(a: Analysis, kind: string, text: string, detail: string): void {
  const u: Unresolved = { kind, text: text.length > 300 ? `${text.slice(0, 300)}…` : text, detail };
  if (a.sink.unresolved.length < 50) a.sink.unresolved.push(u);
}

export function addCommand(a: Analysis, cmd: Cmd): boolean {
  if (a.sink.commands.length >= LIMITS.maxCommands) {
    if (!a.sink.unresolved.some((u) => u.kind === 'too-complex'))
      addUnresolved(a, 'too-complex', cmd.text, `more than ${LIMITS.maxCommands} simple commands`);
    return false;
  }
  a.sink.commands.push(cmd);
  return true;
}

/** Programs of the commands added since index `from`. */
export function programsSince(a: Analysis, from: number): string[] {
  const out: string[] = [];
  for (let i = from; i < a.sink.commands.length; i++) out.push(a.sink.commands[i]!.program);
  return out;
}

export function union(a: string[], b: string[]): string[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  return [...new Set([...a, ...b])];
}
