import type { ScriptRef, Unresolved } from '../types.js';
import type { Word } from './words.js';

/** A simple command as the engine judges it (internal richer form of SimpleCommand). */
export interface Cmd {
  /** Only runs another command or script (sudo …, bash -c, xargs …): the policy default does not apply to it. */
  wrapper: boolean;
  /** Lower-cased basename without `.exe`. */
  program: string;
  /** The program word as written (quotes removed), may be a path. */
  programPath: string;
  args: Word[];
  via: string[];
  assignments: Record<string, string>;
  text: string;
  /** Programs whose output this command reads (earlier pipeline stages, `< <(…)`, `"$(…)"` arguments). */
  fedBy: string[];
  /** Literal text fed on stdin (heredoc, here-string, `echo … |`), when known. */
  stdin: string | undefined;
  /** Targets of output redirections (`> /dev/sda`). */
  writes: string[];
  /** Directories entered by a literal `cd` earlier in the line (relative paths may resolve there). */
  dirs: string[];
  /** Text of files written earlier in the line that this command names as an argument. */
  fileText: string[];
}

/** A file written earlier in the same line: its literal text when known, and who produced it. */
export interface WrittenFile {
  text: string | undefined;
  fedBy: string[];
  /** Unknown text with one known new part (`sed -i 's/a/NEW/'`): what a file that runs later gains. */
  fragment?: string | undefined;
}

/** What a command reads on stdin, as far as the shell text tells. */
export interface StdinInfo {
  fedBy: string[];
  text: string | undefined;
  /** The text contains expansions, or comes from a program: a shell reading it is unresolved. */
  dynamic: boolean;
  /** stdin is explicitly connected (pipe, heredoc, here-string, `<` redirect). */
  piped: boolean;
}

export const NO_STDIN: StdinInfo = { fedBy: [], text: undefined, dynamic: false, piped: false };

/** Limits that keep evaluation bounded on hostile input. Exceeding one is `unresolved`. */
export const LIMITS = {
  maxInputChars: 256 * 1024,
  maxScriptDepth: 12,
  maxTreeDepth: 200,
  maxCommands: 2000,
  maxWrapperHops: 32,
  maxNodes: 50_000,
} as const;

export interface Sink {
  commands: Cmd[];
  unresolved: Unresolved[];
  nodes: number;
  /** Files the line runs (scripts, Makefiles, SQL files), for the caller to read and bind. */
  scripts: ScriptRef[];
}
