/**
 * Node's compile cache (Node 22.1+) is used only in guard's own directory (decision 0044): never
 * in the shared temporary directory Node defaults to, where another user could plant compiled code
 * that guard — the enforced mode's daemon included — would then run, and not in a directory of
 * guard's that someone else could write. Node 20 has no compile cache: these run on Node 22 and 24
 * (scripts/test-node-versions.sh) and are skipped here.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN } from '../daemon/helpers.js';

const hasCompileCache = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Every file below `dir` (none when it does not exist). */
function files(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => join(d.parentPath, d.name));
  } catch {
    return [];
  }
}

/** `guard --version` with GUARD_HOME and TMPDIR in a fresh directory; that directory. */
function runGuard(prepare: (root: string) => void = () => {}): string {
  const root = mkdtempSync(join(tmpdir(), 'guard-ccache-'));
  dirs.push(root);
  mkdirSync(join(root, 'tmp', 'node-compile-cache'), { recursive: true });
  // the shared place another user could have created first, writable by all
  chmodSync(join(root, 'tmp', 'node-compile-cache'), 0o777);
  prepare(root);
  const env: NodeJS.ProcessEnv = { ...process.env, GUARD_HOME: join(root, 'home'), TMPDIR: join(root, 'tmp') };
  delete env['NODE_COMPILE_CACHE'];
  expect(execFileSync(process.execPath, [BIN, '--version'], { env, encoding: 'utf8' }).trim()).toMatch(
    /^\d+\.\d+\.\d+/,
  );
  return root;
}

describe.runIf(hasCompileCache)('Node compile cache (decision 0044)', () => {
  it("is kept in guard's own directory, never in the shared temporary one", () => {
    const root = runGuard();
    expect(files(join(root, 'tmp'))).toEqual([]);
    expect(files(join(root, 'home', 'cache', 'node')).length).toBeGreaterThan(0);
  });

  it('is not used when its directory is writable by others', () => {
    const root = runGuard((r) => {
      mkdirSync(join(r, 'home', 'cache', 'node'), { recursive: true, mode: 0o700 });
      chmodSync(join(r, 'home', 'cache', 'node'), 0o777);
    });
    expect(files(join(root, 'home', 'cache', 'node'))).toEqual([]);
    expect(files(join(root, 'tmp'))).toEqual([]);
  });
});
