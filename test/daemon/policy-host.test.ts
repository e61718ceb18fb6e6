/**
 * The daemon's policy host on real files, the real engine and the real example cache: a reload
 * of the same text (a file changed beside the policy: the watch is per directory) does not judge
 * the rule examples again; a changed text is judged.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { PolicyHost, loadFor } from '../../src/daemon/policy-host.js';
import type { LedgerWriter } from '../../src/ledger/types.js';
import { createEngine, openExampleCache } from '../../src/policy/index.js';
import { TEST_POLICY } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'guard-policy-host-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('judges the examples of a policy text once per process, however often it is reloaded', async () => {
  const env = { GUARD_HOME: join(dir, 'home') };
  const policy = join(dir, 'policy.yaml');
  writeFileSync(policy, TEST_POLICY);
  const engine = await createEngine();
  const exampleCache = openExampleCache(env, 'test-build');
  const opts = { env, files: [policy], engine, exampleCache };
  // a first load judges the examples and fills the cache, as the first daemon start does
  expect((await loadFor(opts, dir)).examplesUnchecked).not.toBe(true);

  const lines: string[] = [];
  const log = {
    info: (m: string) => lines.push(m),
    warn: (m: string) => lines.push(m),
    error: (m: string) => lines.push(m),
  };
  // the same text changes nothing: a ledger write would mean the host saw a new policy
  const ledger = {
    append: () => Promise.reject(new Error('no ledger write expected')),
  } as unknown as LedgerWriter;
  const host = new PolicyHost({ ...opts, baseCwd: dir, watchDirs: [], ledger, log });
  const base = await loadFor(opts, dir);
  expect(base.examplesUnchecked).toBe(true);
  await host.start(base);
  await host.startServing();
  const judgedAgain = (): number => lines.filter((l) => l.includes('judged again')).length;
  expect(judgedAgain()).toBe(1);

  // a marker file written beside the policy makes the watch reload the same text, over and over
  for (let i = 0; i < 3; i++) await host.reload();
  await host.startServing();
  expect(judgedAgain()).toBe(1);

  // another text is another policy: judged (here at load, as the cache does not know it)
  writeFileSync(policy, `${TEST_POLICY}#\n`);
  const changed = new PolicyHost({ ...opts, baseCwd: dir, watchDirs: [], ledger, log });
  expect((await loadFor(opts, dir)).examplesUnchecked).not.toBe(true);
  await changed.start(await loadFor(opts, dir));
  await changed.startServing();
  expect(judgedAgain()).toBe(2);
  host.stop();
  changed.stop();
});
