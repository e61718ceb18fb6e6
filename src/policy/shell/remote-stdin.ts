import { addUnresolved, type Analysis, type Base } from './context.js';
import { stdinScript } from './interpreters.js';

/** A remote command that is a shell reading its script from stdin (`bash`, `sh -s`, `bash -s -- x`). */
export function remoteReadsStdin(text: string): boolean {
  return /^\s*(?:exec\s+)?(?:\/\S*\/)?(?:ba|z|k|da|c|tc|fi)?sh(?:\s+-[A-Za-z]*s[A-Za-z]*(?:\s.*)?|\s+--?\s.*|\s+-[A-Za-z]+)?\s*$/.test(
    text,
  );
}

/**
 * `ssh host < x.sh`, `cat x.sh | ssh host`, `ssh host bash -s <<EOF`: the remote shell runs what
 * stdin carries. Literal text is judged as that script; text from a program or a file the engine
 * does not open is unresolved.
 */
export function remoteStdin(a: Analysis, name: string, next: Base, base: Base): void {
  const stdin = base.stdin;
  if (stdin.text === undefined && stdin.fedBy.length === 0 && !stdin.dynamic) {
    addUnresolved(a, 'stdin-script', base.text, `${name} runs the script on its stdin (a file guard does not read)`);
    return;
  }
  stdinScript(a, name, next, base);
}
