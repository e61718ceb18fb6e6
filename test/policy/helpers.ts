import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll } from 'vitest';
import { createEngine, loadPolicy, type Decision, type Engine, type LoadedPolicy } from '../../src/policy/index.js';

export interface Harness {
  engine: Engine;
  loaded: LoadedPolicy;
  /** Judge a shell line under the default pack. */
  line(text: string): Decision;
  /** Judge an argv (no shell) under the default pack. */
  argv(argv: string[]): Decision;
}

/** The shipped default pack with an isolated GUARD_HOME (no user layer) and no project layer. */
export async function defaultHarness(home: string): Promise<Harness> {
  const engine = await createEngine();
  const loaded = await loadPolicy({
    env: { GUARD_HOME: home, GUARD_SYSTEM_POLICIES: `${home}/no-system` },
    cwd: home,
    engine,
  });
  const ctx = { cwd: '/home/agent/project', requester: { user: 'agent', agent: 'test' } };
  return {
    engine,
    loaded,
    line: (text) => engine.evaluate({ ...ctx, argv: ['sh', '-c', text], shell: text }, loaded.policy),
    argv: (argv) => engine.evaluate({ ...ctx, argv }, loaded.policy),
  };
}

/** Decode the fixture escapes: \n newline, \t tab, \\ backslash. */
export function decode(s: string): string {
  return s.replace(/\\([nt\\])/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : '\\'));
}

export function fixtureLines(name: string): string[] {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'));
}

/** The command lines of the bypass and red-team corpora, dangerous and everyday. */
export function corpusLines(): string[] {
  return [
    ...fixtureLines('dangerous.tsv').map((l) => decode(l.split('\t')[1]!)),
    ...fixtureLines('everyday.txt').map(decode),
    ...fixtureLines('redteam-dangerous.tsv').map((l) => decode(l.split('\t')[1]!)),
    ...fixtureLines('redteam-everyday.txt').map(decode),
  ];
}

/** Labelled lines (`deny` must be denied, `hold` must not be allowed) that the harness gets wrong. */
export function heldMisses(h: Harness, rows: { expect: 'deny' | 'hold'; command: string; label: string }[]): string[] {
  const misses: string[] = [];
  for (const row of rows) {
    const d = h.line(row.command);
    const ok = row.expect === 'deny' ? d.effect === 'deny' : d.effect !== 'allow';
    if (!ok) misses.push(`${row.expect} expected, got ${d.effect} [${row.label}]: ${row.command}`);
  }
  return misses;
}

/** One default-pack harness per test file, created before the tests in an isolated GUARD_HOME. */
export function sharedHarness(prefix: string): () => Harness {
  let h: Harness | undefined;
  beforeAll(async () => {
    h = await defaultHarness(mkdtempSync(join(tmpdir(), prefix)));
  });
  return () => {
    if (h === undefined) throw new Error('the harness is created in beforeAll');
    return h;
  };
}
