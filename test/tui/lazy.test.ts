/**
 * `guard exec` must never load React or Ink: the TUI is reached only through dynamic imports.
 * Checked on the built bundle: the static import closure of the entry and of the exec command
 * holds no React/Ink code, while the TUI's own chunk does (so this test can fail).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ROOT } from '../daemon/helpers.js';

const DIST = join(ROOT, 'dist');
const STATIC = /(?:^|\n)\s*(?:import|export)\s*(?:[^'";]*?\sfrom\s*)?["'](\.\/[^"']+)["']/g;
/** Strings only React (the JSX element symbol) and Ink (its input hook) contain. */
const UI_MARKERS = ['react.transitional.element', 'useInput'];

function closure(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const m of readFileSync(join(DIST, file), 'utf8').matchAll(STATIC)) todo.push(m[1]!.slice(2));
  }
  return seen;
}

function uiIn(files: Set<string>): string[] {
  return [...files].filter((f) => UI_MARKERS.some((m) => readFileSync(join(DIST, f), 'utf8').includes(m)));
}

const chunk = (prefix: string): string => {
  const f = readdirSync(DIST).find((n) => n.startsWith(`${prefix}-`) && n.endsWith('.js'));
  if (f === undefined) throw new Error(`no ${prefix}-*.js chunk in dist/ (run npm run build)`);
  return f;
};

test('the entry and the exec command load no React or Ink; the bundle does hold them elsewhere', () => {
  const all = new Set(readdirSync(DIST).filter((f) => f.endsWith('.js')));
  // the control: React and Ink are in the bundle, so the closure checks below can fail
  expect(uiIn(all).length).toBeGreaterThan(0);
  expect(uiIn(closure('guard.js'))).toEqual([]);
  expect(uiIn(closure(chunk('exec')))).toEqual([]);
  // even the `guard tui` command module only reaches them through a dynamic import
  expect(uiIn(closure(chunk('tui')))).toEqual([]);
});
