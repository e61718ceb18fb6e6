/**
 * Plain lines are read without the shell parser (src/policy/shell/plain.ts, decision 0032). That
 * reading must build exactly what the tree walk builds: the same simple commands (words, text,
 * assignments, via, stdin …), unresolved items, scripts, files written and node count. Each line is
 * analysed twice — as the engine does, and with every line read by tree-sitter — and the two
 * analyses compared: random plain word lists and lists of them (fast-check), random near-plain lines with shell
 * characters, and every line of the corpora, under the default pack and the 1,000-rule bench policy.
 */
import fc from 'fast-check';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Language, Parser } from 'web-tree-sitter';
import { readCorpus } from '../../bench/dcg.js';
import { generatedPolicy } from '../../bench/policy.js';
import { analyse } from '../../src/policy/engine.js';
import { compilePolicy, type PolicyRequest } from '../../src/policy/index.js';
import type { CompiledPolicy } from '../../src/policy/rules/compiled.js';
import { plainLine } from '../../src/policy/shell/plain.js';
import { corpusLines, sharedHarness } from './helpers.js';

const harness = sharedHarness('guard-plain-');
let parser: Parser;
let policies: [string, CompiledPolicy][];

beforeAll(async () => {
  await Parser.init();
  parser = new Parser();
  parser.setLanguage(
    await Language.load(createRequire(import.meta.url).resolve('tree-sitter-bash/tree-sitter-bash.wasm')),
  );
  const h = harness();
  policies = [
    ['default', h.loaded.policy],
    ['bench1000', compilePolicy(generatedPolicy(1000), { engine: h.engine }).policy],
  ];
});

const request = (line: string): PolicyRequest => ({
  cwd: '/home/agent/project',
  requester: { user: 'agent', agent: 'test' },
  argv: ['sh', '-c', line],
  shell: line,
});

/** Everything an analysis leaves for the decision and for the caller. */
function reading(line: string, policy: CompiledPolicy, treeOnly: boolean): unknown {
  const a = analyse(parser, request(line), policy, treeOnly);
  return { sink: a.sink, files: a.files, dirs: a.dirs, downloaders: a.downloaders };
}

function expectSameReading(line: string): void {
  for (const [name, policy] of policies)
    expect(reading(line, policy, false), `${name}: ${JSON.stringify(line)}`).toStrictEqual(reading(line, policy, true));
}

const BARE = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:@%+,=~-'];
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));
const SINGLE = PRINTABLE.filter((c) => c !== "'");
const DOUBLE = PRINTABLE.filter((c) => !'"$`\\'.includes(c));
/** Programs the analyser unwraps or rules name, numbers, and every word the grammar reads as syntax. */
const HEADS = [
  ...'git rm kubectl terraform psql make curl docker echo ls tool7 env sudo timeout xargs find sh bash eval ssh nice python3 node npm'.split(
    ' ',
  ),
  ...'-x -- ~ ~/bin/x ./x.sh /bin/rm a.b _ x-1'.split(' '),
];
const ODD_HEADS = [
  ...'1 10 0x1f -1 - a,b % : a@ a% a+: == =~ a=b'.split(' '),
  ...'! [ [[ ] ]] { } case coproc declare do done elif else esac export fi for function if in local readonly select then time typeset unset unsetenv until while'.split(
    ' ',
  ),
];
/** Words the rules and wrappers read: flags, subcommands, `-c`, keywords as plain arguments. */
const ARGS = [
  ...'-rf -f --force --hard push reset delete -c -- / . .. ~ status sub3 other2 --flag3 -a target-7 x.prod3 needle11 KEY=v a=b=c'.split(
    ' ',
  ),
  ...'if then fi done in do { } ! time export'.split(' '),
];

const chars = (pool: string[], min: number, max: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...pool), { minLength: min, maxLength: max }).map((cs) => cs.join(''));
const part = fc.oneof(
  { weight: 3, arbitrary: chars(BARE, 1, 8) },
  { weight: 2, arbitrary: chars(SINGLE, 0, 8).map((s) => `'${s}'`) },
  { weight: 2, arbitrary: chars(DOUBLE, 0, 8).map((s) => `"${s}"`) },
);
const word = fc.oneof(
  { weight: 3, arbitrary: fc.array(part, { minLength: 1, maxLength: 3 }).map((ps) => ps.join('')) },
  { weight: 1, arbitrary: fc.constantFrom(...ARGS) },
);
const name = fc.tuple(fc.constantFrom(...'ABCxyz_'), chars([...'ABCxyz_019'], 0, 6)).map(([a, b]) => a + b);
const assignment = fc.tuple(name, word).map(([n, v]) => `${n}=${v}`);
const blank = chars([' ', '\t'], 1, 3);
const gap = chars([' ', '\t'], 0, 2);
const simpleCommand = fc
  .record({
    assignments: fc.array(assignment, { maxLength: 2 }),
    head: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...HEADS) },
      { weight: 1, arbitrary: fc.constantFrom(...ODD_HEADS) },
      { weight: 1, arbitrary: word },
    ),
    args: fc.array(fc.tuple(blank, word), { maxLength: 6 }),
  })
  .map((r) => [...r.assignments, r.head].join(' ') + r.args.map(([b, w]) => b + w).join(''));
/** One to three commands joined by `&&`, `||` or `;` (mostly one), blanks and blank lines around. */
const plainText = fc
  .record({
    lead: fc.constantFrom('', ' ', '\t', '\n', '\n \n'),
    first: simpleCommand,
    more: fc.array(fc.tuple(gap, fc.constantFrom('&&', '||', ';'), gap, simpleCommand), { maxLength: 2 }),
    trail: fc.constantFrom('', ' ', '\t', '\n', ' \n\n'),
  })
  .map((r) => r.lead + r.first + r.more.map((m) => m.join('')).join('') + r.trail);

describe('plain lines read without the parser', () => {
  it('give the same analysis as the tree walk on random plain commands and lists of them', () => {
    let plain = 0;
    fc.assert(
      fc.property(plainText, (line) => {
        if (plainLine(line) !== undefined) plain++;
        expectSameReading(line);
      }),
      { numRuns: 2000 },
    );
    // the generator mostly makes plain lines: the comparison is not vacuous
    expect(plain).toBeGreaterThan(500);
  });

  it('give the same analysis on plain lines with shell characters put in', () => {
    const SHELLISH = [...'\\\'"`$(){}[]<>|&;!*?#\n\t\r\u000b\u00e9=~ '];
    fc.assert(
      fc.property(plainText, fc.array(fc.tuple(fc.nat(), fc.constantFrom(...SHELLISH))), (line, ins) => {
        let s = line;
        for (const [at, c] of ins) s = s.slice(0, at % (s.length + 1)) + c + s.slice(at % (s.length + 1));
        expectSameReading(s);
      }),
      { numRuns: 1500 },
    );
  });

  it('give the same analysis for every line of the corpora', () => {
    const dcg = [process.env['DCG_CORPUS'], '../shared/corpora/dcg', '../../shared/corpora/dcg']
      .filter((d): d is string => d !== undefined)
      .map((d) => resolve(d))
      .find((d) => existsSync(join(d, 'hold.tsv')));
    const lines = [
      ...corpusLines(),
      ...(dcg === undefined
        ? []
        : ['hold.tsv', 'allow.tsv', 'out-of-scope.tsv'].flatMap((f) => readCorpus(join(dcg, f)).map((r) => r.command))),
    ];
    const plain = lines.filter((l) => plainLine(l) !== undefined).length;
    expect(plain).toBeGreaterThan(lines.length / 4);
    for (const line of lines) expectSameReading(line);
  });

  it('are only lines of one command with plain words', () => {
    for (const line of [
      'git status',
      "  git commit -m 'fix: a b'\n",
      'A=1 B="x y" npm test',
      'ls a=b',
      'cd /tmp; rm -rf x',
      'make && make install || echo failed',
    ])
      expect(plainLine(line), line).toBeDefined();
    for (const line of [
      'git status\nrm -rf /',
      'git status;',
      'git status;; rm -rf /',
      'ls | sh',
      'sleep 1 &',
      'ls &> x',
      'ls |& cat',
      'echo $HOME',
      'echo "$(id)"',
      'rm -rf *',
      'ls > x',
      'echo `id`',
      'echo a\\ b',
      'A=1',
      'if true',
      'export A=1',
      '"rm" -rf /',
      'echo {a,b}',
      "echo 'unclosed",
      'echo #comment',
      'A= ls',
      '- a=b',
      '_=a git',
    ])
      expect(plainLine(line), line).toBeUndefined();
  });
});
