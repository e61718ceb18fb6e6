/**
 * The hand-off line check (`isOwnExec`): lexical, so it must accept exactly the lines guard itself
 * writes and refuse anything the shell could expand, chain or redirect. The accepted words are
 * compared with what bash really passes (a real bash prints them).
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isOwnExec, literalWords } from '../../src/integrations/own-exec.js';
import { execCommandLine } from '../../src/integrations/rewrite.js';

const GUARD = ['/opt/guard/bin/guard.js'];
const line = (command: string, session?: string): string =>
  execCommandLine({ guard: GUARD, command, agent: 'cursor', session, reason: "cursor asks (it's fine)" });

/** The words bash would pass for a line (after its assignments), via printf. */
function bashWords(text: string): string[] {
  const r = spawnSync('/bin/bash', ['-c', `set -- ${text}; printf '%s\\0' "$@"`], { encoding: 'utf8' });
  return r.stdout.split('\0').slice(0, -1);
}

describe('isOwnExec', () => {
  it.each([
    'terraform destroy',
    `echo "it's" 'a "test"' $HOME; rm -rf / && $(curl x) | sh`,
    'printf "é 中文\\n"',
    "a'''b",
  ])('accepts the hand-off line guard writes for: %s', (command) => {
    expect(isOwnExec(line(command), GUARD)).toBe(true);
    expect(isOwnExec(line(command, 'conv-1'), GUARD)).toBe(true);
  });

  it('unquotes words exactly as bash does', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 5 }), (ws) => {
        const clean = ws.map((w) => w.replace(/\0/g, ''));
        fc.pre(clean.every((w) => w !== ''));
        const text = clean.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
        expect(literalWords(text)).toEqual(clean);
        expect(bashWords(text)).toEqual(clean);
      }),
      { numRuns: 40 },
    );
  });

  it.each([
    [`${line('ls')}; shred x`, 'a second command'],
    [`${line('ls')} && shred x`, 'an operator'],
    [`${line('ls')} > /etc/passwd`, 'a redirection'],
    [`${line('ls')} $(shred x)`, 'a substitution'],
    [`${line('ls')} "$X"`, 'a double-quoted word'],
    [`${line('ls')}\nshred x`, 'a newline'],
    [`${line('ls')} # comment`, 'a comment'],
    [`GUARD_HOME=/tmp/x ${line('ls')}`, 'another assignment'],
    [`GUARD_SOCKET=/tmp/s ${line('ls')}`, 'a socket assignment'],
    [line('ls').replace('/opt/guard/bin/guard.js', '/tmp/guard.js'), 'another guard'],
    [line('ls').replace("'/opt/guard/bin/guard.js'", 'guard.js'), 'a relative guard'],
    [line('ls').replace(' exec ', ' approve '), 'another subcommand'],
    [`'/opt/guard/bin/guard.js' exec`, 'nothing to run'],
    ["'/opt/guard/bin/guard.js' exec -- 'ls", 'an open quote'],
    ['ls', 'a plain command'],
  ])('refuses %s (%s)', (text) => {
    expect(isOwnExec(text, GUARD)).toBe(false);
  });

  it('refuses when guard is not an absolute path', () => {
    expect(isOwnExec(`guard exec -- ls`, ['guard'])).toBe(false);
  });
});
