import type { Analysis, Base } from './context.js';
import { programName } from '../programs/families.js';
import { resolveCommand } from './resolve.js';
import { isShellSetup } from '../programs/setup-tools.js';
import { parseScript } from './parse.js';
import type { Word } from './words.js';

/** `docker run IMAGE cmd`, `docker exec CONTAINER cmd`: the command runs in a container, often with host mounts. */
export const CONTAINER_RUNNERS = new Set(['docker', 'podman', 'nerdctl', 'lxc', 'incus', 'multipass']);

/**
 * An unknown program (no allow rule covers it, the analyser does not unwrap it) may be a wrapper guard
 * has never heard of (`gosu root rm -rf /`, `unbuffer …`, `docker exec c rm …`): every argument
 * that names a program the policy holds or the analyser unwraps starts a command judged too.
 */
export function embedded(a: Analysis, name: string, args: Word[], next: Base): void {
  if (isShellSetup([name, ...args.map((w) => w.text)])) return;
  let found = 0;
  for (let i = 0; i < args.length && found < 4; i++) {
    const w = args[i]!;
    if (w.dynamic || w.lead || w.glob) continue;
    // a whole command line in one word (`hyperfine 'rm -rf x'`, `--exec='…'`): judged as a script
    const line = /^(?:-[\w-]*=)?(\S+)\s/.exec(w.text);
    if (line !== null && !/^\s*[\w.-]+=/.test(w.text) && a.interesting(programName(line[1]!))) {
      found++;
      parseScript(a, w.text.slice(line[0].length - 1 - line[1]!.length), {
        ...next,
        argFedBy: [],
        via: [...next.via, `${name} argument`],
        depth: next.depth + 1,
        text: w.text,
      });
      continue;
    }
    if (w.text.startsWith('-') || /[\s=]/.test(w.text)) continue;
    const n = programName(w.text);
    if (n === name || n === '.' || n === 'source' || !a.interesting(n)) continue;
    found++;
    resolveCommand(a, args.slice(i), { ...next, argFedBy: [], via: [...next.via] });
  }
}
