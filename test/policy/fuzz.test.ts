import fc from 'fast-check';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decode, defaultHarness, fixtureLines, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await defaultHarness(mkdtempSync(join(tmpdir(), 'guard-fuzz-')));
});

const EFFECTS = ['allow', 'approve', 'deny'];
const SHELLISH = [...'abcrmfx -/\\\'"`$(){}[]<>|&;!*?~=#\n\t0123456789'];
const shellChar = fc.constantFrom(...SHELLISH);
const corpus = [
  ...fixtureLines('dangerous.tsv').map((l) => decode(l.split('\t')[1]!)),
  ...fixtureLines('everyday.txt').map(decode),
];

function valid(line: string): void {
  const d = h.line(line);
  expect(EFFECTS).toContain(d.effect);
  expect(Array.isArray(d.reasons) && d.reasons.length > 0).toBe(true);
}

describe('fuzz: the engine never crashes', () => {
  it('judges random shell-ish strings', () => {
    fc.assert(
      fc.property(
        fc.array(shellChar, { maxLength: 120 }).map((cs) => cs.join('')),
        (line) => valid(line),
      ),
      { numRuns: 1500 },
    );
  });

  it('judges random unicode strings and random argv', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), (line) => valid(line)),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 20 }), { maxLength: 8 }), (argv) => {
        const d = h.argv(argv);
        expect(EFFECTS).toContain(d.effect);
      }),
      { numRuns: 500 },
    );
  });

  it('judges mutated corpus lines', () => {
    const mutation = fc.record({ at: fc.nat(), del: fc.nat({ max: 3 }), ins: fc.array(shellChar, { maxLength: 4 }) });
    fc.assert(
      fc.property(fc.constantFrom(...corpus), fc.array(mutation, { minLength: 1, maxLength: 4 }), (line, muts) => {
        let s = line;
        for (const m of muts) {
          const at = m.at % (s.length + 1);
          s = s.slice(0, at) + m.ins.join('') + s.slice(at + m.del);
        }
        valid(s);
      }),
      { numRuns: 1500 },
    );
  });

  it('bounds work on pathological nesting (structural caps, no exponential blow-up)', () => {
    // Unbalanced: 10,000 `$(` parse as one error node.
    const open = h.line('$('.repeat(10_000));
    expect(open.effect).not.toBe('allow');
    // Balanced: 10,000 nested substitutions hit the tree-depth cap and end unresolved.
    const n = 10_000;
    const deep = h.line(`echo ${'$(echo '.repeat(n)}x${')'.repeat(n)}`);
    expect(deep.effect).not.toBe('allow');
    expect(deep.unresolved.map((u) => u.kind)).toEqual(
      expect.arrayContaining([expect.stringMatching(/too-deep|too-complex|parse-error/)]),
    );
    // Wide: 20,000 commands in one line hit the command cap.
    const wide = h.line(Array.from({ length: 20_000 }, () => 'true').join(';'));
    expect(wide.unresolved.map((u) => u.kind)).toContain('too-complex');
    expect(wide.effect).not.toBe('allow');
  });
});

describe('fuzz: a dangerous command in any wrapper chain is never allowed', () => {
  const dangerous = [
    'rm -rf /srv/data',
    'kubectl delete ns prod',
    'terraform destroy -auto-approve',
    'git push --force origin main',
    'git reset --hard',
    'dd if=/dev/zero of=/dev/sda',
    'pg_dump prod',
    'aws secretsmanager get-secret-value --secret-id x',
    'psql -c "DROP TABLE users"',
    'chmod u+s /bin/sh',
    'mkfs.ext4 /dev/sdb',
  ];
  const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const wrappers: ((c: string) => string)[] = [
    (c) => `sudo ${c}`,
    (c) => `sudo -u root -E ${c}`,
    (c) => `doas ${c}`,
    (c) => `env -i A=1 ${c}`,
    (c) => `X=1 ${c}`,
    (c) => `timeout 10 ${c}`,
    (c) => `timeout -s KILL -k 5 10s ${c}`,
    (c) => `nice -n 5 ${c}`,
    (c) => `nohup ${c}`,
    (c) => `stdbuf -oL -eL ${c}`,
    (c) => `time ${c}`,
    (c) => `command ${c}`,
    (c) => `exec ${c}`,
    (c) => `builtin ${c}`,
    (c) => `setsid ${c}`,
    (c) => `ionice -c 3 ${c}`,
    (c) => `bash -c ${sq(c)}`,
    (c) => `sh -lc ${sq(c)}`,
    (c) => `zsh -ec ${sq(c)}`,
    (c) => `dash -c ${sq(c)}`,
    (c) => `ssh host ${sq(c)}`,
    (c) => `su -c ${sq(c)}`,
    (c) => `watch -n 1 ${sq(c)}`,
    (c) => `flock /tmp/l -c ${sq(c)}`,
    (c) => `echo x | xargs sh -c ${sq(c)}`,
    (c) => `find . -exec sh -c ${sq(c)} \\;`,
    (c) => `ls && ${c}`,
    (c) => `false || ${c}`,
    (c) => `( ${c})`, // `((…))` would be arithmetic in bash
    (c) => `{ ${c}; }`,
    // a space after `$(`: `$((…))` is arithmetic in bash, and `(cmd)` is one of the wrappers
    (c) => `echo $( ${c})`,
    (c) => `if true; then ${c}; fi`,
    (c) => `bash <<'EOF'\n${c}\nEOF`,
    (c) => `sh <<< ${sq(c)}`,
    (c) => `python3 -c ${sq(`import os; os.system(${JSON.stringify(c)})`)}`,
  ];
  it('holds every combination', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...dangerous),
        fc.array(fc.nat({ max: wrappers.length - 1 }), { maxLength: 5 }),
        (cmd, chain) => {
          const line = chain.reduce((acc, i) => wrappers[i]!(acc), cmd);
          const d = h.line(line);
          expect(d.effect, line).not.toBe('allow');
        },
      ),
      { numRuns: 2000 },
    );
  });
});
