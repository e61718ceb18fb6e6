/**
 * The daemon's own bundle and its V8 code cache (decision 0043): what the build writes, that a
 * daemon the CLI starts runs from it with the cache, that a cache made for another bundle or
 * another path is never used, and that a missing or unusable bundle leaves the CLI's ES modules
 * to start the daemon.
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { BUNDLE_FILE, CACHE_FILE, compileDaemonBundle } from '../../src/boot/daemon-bundle.js';
import { Rig, ROOT } from '../daemon/helpers.js';

const DIST = join(ROOT, 'dist');

function run(cmd: string, args: string[], opts: { env: NodeJS.ProcessEnv }): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) =>
    execFile(cmd, args, { env: opts.env, encoding: 'utf8' }, (err, _stdout, stderr) =>
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stderr }),
    ),
  );
}
const bundle = (): Buffer => readFileSync(join(DIST, BUNDLE_FILE));
const STAMP_LENGTH = 81;

const dirs: string[] = [];
const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.guard(['daemon', 'stop']);
    await r.cleanup();
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A copy of the built CLI (bin/, dist/, policies/) elsewhere, node_modules linked; `change` edits its dist/. */
function copyOfBuild(change: (dist: string) => void = () => {}): string {
  const root = mkdtempSync(join(tmpdir(), 'guard-bundle-'));
  dirs.push(root);
  for (const d of ['bin', 'dist', 'policies']) cpSync(join(ROOT, d), join(root, d), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(root, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  change(join(root, 'dist'));
  return root;
}

/** Start a daemon with the CLI at `bin` (its launcher re-runs that CLI), run one command through it, return its start-up line. */
async function startWith(bin: string): Promise<string> {
  const rig = new Rig();
  rigs.push(rig);
  const started = await run(process.execPath, [bin, 'daemon', 'start', '--policy', rig.policy], { env: rig.env });
  expect(started.code, started.stderr).toBe(0);
  const ran = await rig.guard(['exec', '--', 'echo', 'served']);
  expect(ran.stdout).toBe('served\n');
  const line = readFileSync(join(rig.env['GUARD_HOME']!, 'daemon.log'), 'utf8')
    .split('\n')
    .find((l) => l.includes('start-up took'));
  expect(line).toBeDefined();
  return line!;
}

describe('the daemon bundle the build writes (decision 0043)', () => {
  it('is ASCII, stamped with the SHA-256 of its text, and its cache names that stamp and its path', () => {
    const text = bundle();
    expect(text.every((b) => b < 0x80)).toBe(true);
    const stamp = text.subarray(0, STAMP_LENGTH).toString('latin1');
    const digest = createHash('sha256').update(text.subarray(STAMP_LENGTH)).digest('hex');
    expect(stamp).toBe(`/*guard-bundle ${digest}*/`);
    const cache = readFileSync(join(DIST, CACHE_FILE));
    const header = `${stamp}${join(DIST, BUNDLE_FILE)}\n`;
    expect(cache.subarray(0, header.length).toString('latin1')).toBe(header);
    expect(cache.length).toBeGreaterThan(header.length + 10_000);
  });

  it('a daemon the CLI starts runs from the bundle with its code cache, and serves', async () => {
    // the rig's daemon goes through bin/guard.js → the launcher → bin/guard.js daemon start --foreground
    const line = await startWith(join(ROOT, 'bin', 'guard.js'));
    expect(line).toMatch(/; code: daemon\.cjs, code cache used$/);
  });
});

describe('a code cache made for something else is not used (decision 0043)', () => {
  it('at another path (a copy of the build) the bundle compiles from source', async () => {
    const root = copyOfBuild();
    expect(compileDaemonBundle(join(root, 'dist'))?.cache).toBe('stale');
    // and such a copy still starts a daemon that serves, from the bundle
    expect(await startWith(join(root, 'bin', 'guard.js'))).toMatch(/; code: daemon\.cjs, code cache stale$/);
  });

  it('for another bundle (another stamp) at the same path', () => {
    const root = copyOfBuild();
    const dist = join(root, 'dist');
    const cache = readFileSync(join(DIST, CACHE_FILE));
    const payload = cache.subarray(cache.indexOf(0x0a) + 1);
    // the header this copy's bundle would need, with one stamp digit changed
    const other = Buffer.from(
      bundle()
        .subarray(0, STAMP_LENGTH)
        .toString('latin1')
        .replace(/[0-9a-f](?=\*\/$)/, (d) => (d === '0' ? '1' : '0')),
    );
    writeFileSync(join(dist, CACHE_FILE), Buffer.concat([other, Buffer.from(`${join(dist, BUNDLE_FILE)}\n`), payload]));
    expect(compileDaemonBundle(dist)?.cache).toBe('stale');
    // the right header is taken (V8 then judges the payload itself)
    writeFileSync(
      join(dist, CACHE_FILE),
      Buffer.concat([bundle().subarray(0, STAMP_LENGTH), Buffer.from(`${join(dist, BUNDLE_FILE)}\n`), payload]),
    );
    expect(compileDaemonBundle(dist)?.cache).not.toBe('stale');
  });

  it('a damaged cache with the right header is refused by V8, and the bundle compiles from source', () => {
    const root = copyOfBuild();
    const dist = join(root, 'dist');
    const cache = readFileSync(join(DIST, CACHE_FILE));
    const payload = Buffer.from(cache.subarray(cache.indexOf(0x0a) + 1));
    for (let i = 0; i < 16; i++) payload[i] = payload[i]! ^ 0xff; // V8's magic number and version hash
    writeFileSync(
      join(dist, CACHE_FILE),
      Buffer.concat([bundle().subarray(0, STAMP_LENGTH), Buffer.from(`${join(dist, BUNDLE_FILE)}\n`), payload]),
    );
    const compiled = compileDaemonBundle(dist);
    expect(compiled?.cache).toBe('rejected by V8');
    expect(compiled?.script.cachedDataRejected).toBe(true);
  });
});

describe('without a usable bundle the CLI starts the daemon as before (decision 0043)', () => {
  it('no bundle: the ES modules', async () => {
    const root = copyOfBuild((dist) => unlinkSync(join(dist, BUNDLE_FILE)));
    expect(compileDaemonBundle(join(root, 'dist'))).toBeUndefined();
    expect(await startWith(join(root, 'bin', 'guard.js'))).toMatch(/; code: ES modules$/);
  });

  it('a bundle that is not ASCII or not stamped is not loaded', () => {
    const nonAscii = copyOfBuild((dist) =>
      writeFileSync(join(dist, BUNDLE_FILE), Buffer.concat([bundle(), Buffer.from('/*\u00e9*/')])),
    );
    expect(compileDaemonBundle(join(nonAscii, 'dist'))).toBeUndefined();
    const unstamped = copyOfBuild((dist) => writeFileSync(join(dist, BUNDLE_FILE), bundle().subarray(STAMP_LENGTH)));
    expect(compileDaemonBundle(join(unstamped, 'dist'))).toBeUndefined();
  });
});
