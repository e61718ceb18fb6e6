/**
 * `guard shell` accepts what tools pass to `sh`: option words (`-c`, `-lc`, `-ec`, `-e -c`,
 * `-o name`), then the command string, then `$0 $1 …`. It only ever runs a command string: a
 * shell without -c would read commands from a terminal or stdin, unjudged, so that is refused.
 */
import { UsageError } from '../errors.js';

/** Options /bin/sh takes that keep `-c` semantics (no -i interactive, no -s stdin). */
const SAFE_LETTERS = /^[ceflnuvxaCbmh]+$/;

export interface ShellArgs {
  /** The option words as given (kept, so `sh` sees exactly what the tool passed). */
  options: string[];
  script: string;
  /** `$0 $1 …` for the script. */
  operands: string[];
}

const USAGE = "usage: guard shell -c 'command' [name [args...]] (also -lc, -ec, -e -c)";

export function parseShellArgs(words: string[]): ShellArgs {
  const options: string[] = [];
  let hasC = false;
  let i = 0;
  for (; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--') {
      options.push(w);
      i++;
      break;
    }
    if (w === '-o' || w === '+o') {
      const name = words[i + 1];
      if (name === undefined) throw new UsageError(`${w} needs an option name`, { hint: USAGE });
      options.push(w, name);
      i++;
      continue;
    }
    if (!/^[-+][A-Za-z]/.test(w)) break;
    const letters = w.slice(1);
    if (!SAFE_LETTERS.test(letters)) {
      throw new UsageError(`guard shell does not take ${w}`, {
        hint: `${USAGE}. guard shell only runs command strings given with -c; it is not an interactive shell.`,
      });
    }
    if (w.startsWith('-') && letters.includes('c')) hasC = true;
    options.push(w);
  }
  if (!hasC) {
    throw new UsageError(
      'guard shell needs -c and a command string: it is a drop-in for `sh -c`, not an interactive shell',
      {
        hint: `${USAGE}. To start an interactive shell, run your usual shell; commands an agent runs go through guard.`,
      },
    );
  }
  const script = words[i];
  if (script === undefined) throw new UsageError('-c needs a command string', { hint: USAGE });
  return { options, script, operands: words.slice(i + 1) };
}
