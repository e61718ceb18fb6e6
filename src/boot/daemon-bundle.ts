/**
 * Loading the daemon's own bundle with a V8 code cache (decision 0043).
 *
 * Every daemon start paid ~270 ms of CPU before its first step, most of it the ES module loader
 * over the CLI's chunks (resolving, reading, decoding and compiling each one). Node 20 keeps no
 * compiled code for ES modules, so the build also writes the daemon's code as one CommonJS file,
 * `dist/daemon.cjs` (entry src/daemon-entry.ts), and `dist/daemon.cjs.cache`, V8's code cache for
 * it. Both are made by the build, live beside the code and are as trusted as it: nothing here is
 * ever written at run time, and nothing is read from GUARD_HOME or a temporary directory.
 *
 * The bundle starts with a stamp (`/*guard-bundle <sha256 of the rest, 64 hex>*\/`); the cache
 * file starts with the stamp of the bundle it was made from and the bundle's absolute path, and
 * is used only for that bundle at that path: Node 20's V8 keeps the file name a cache was made
 * under (stack traces and `import()` would name the build's path), so a copy elsewhere (an npm
 * install) compiles from source. V8 itself then refuses a cache made by another V8 version or
 * under other flags (it is then compiled from source, only slower). Anything missing or unusual (no bundle, a bundle that is not
 * ASCII, a Node without the loader this needs) returns undefined: the CLI's ES modules run instead.
 */
import { isAscii } from 'node:buffer';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import * as vm from 'node:vm';

export const BUNDLE_FILE = 'daemon.cjs';
export const CACHE_FILE = 'daemon.cjs.cache';

/** `/*guard-bundle ` + 64 hex + `*\/`, the first bytes of the bundle and of its cache. */
const STAMP = /^\/\*guard-bundle [0-9a-f]{64}\*\//;
const STAMP_LENGTH = 81;

/**
 * The V8 flags the daemon runs with: the policy engine sets --liftoff-only before it loads the
 * shell grammar (src/policy/engine.ts, decision 0006). V8 refuses a code cache made under other
 * flags, so the cache is made, and the bundle compiled, with them already set.
 */
const DAEMON_V8_FLAGS = '--liftoff-only';

/** How the code cache fared: used, refused by V8, made for another bundle or path, or not there. */
export type CacheState = 'used' | 'rejected by V8' | 'stale' | 'absent';

/** The first bytes of the cache made for the bundle whose text starts with `source`, at `file`. */
function cacheHeader(source: string, file: string): Buffer {
  return Buffer.from(`${source.slice(0, STAMP_LENGTH)}${file}\n`, 'latin1');
}

export interface DaemonBundle {
  script: vm.Script;
  cache: CacheState;
  /** Run the bundle's top level; its exports. */
  run(): DaemonEntry;
}

export interface DaemonEntry {
  daemonMain(argv: string[], loaded: string): Promise<boolean>;
}

/** Node's own module loader for `import()` inside a vm script (Node 20.12+, 21.7+), if present. */
function mainContextLoader(): symbol | undefined {
  const constants = (vm as unknown as { constants?: { USE_MAIN_CONTEXT_DEFAULT_LOADER?: symbol } }).constants;
  return constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
}

/** The bundle in `dir` compiled (with its code cache unless `withCache` is false), or undefined. */
export function compileDaemonBundle(dir: string, withCache = true): DaemonBundle | undefined {
  const importer = mainContextLoader();
  if (importer === undefined) return undefined;
  const file = join(dir, BUNDLE_FILE);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined;
  }
  // the build writes ASCII only, so reading it as latin1 is exact and skips UTF-8 decoding
  if (!isAscii(bytes)) return undefined;
  const source = bytes.toString('latin1');
  if (!STAMP.test(source)) return undefined;
  let cache: CacheState = 'absent';
  let cachedData: Buffer | undefined;
  if (withCache) {
    try {
      const c = readFileSync(join(dir, CACHE_FILE));
      const header = cacheHeader(source, file);
      if (c.subarray(0, header.length).equals(header)) cachedData = c.subarray(header.length);
      else cache = 'stale';
    } catch {
      // no cache: compiled from source
    }
  }
  setFlagsFromString(DAEMON_V8_FLAGS);
  // the CommonJS wrapper, as Node's own loader puts it around a module
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
    importModuleDynamically: importer as never,
  });
  if (cachedData !== undefined) cache = script.cachedDataRejected === true ? 'rejected by V8' : 'used';
  const run = (): DaemonEntry => {
    const module = { exports: {} as DaemonEntry };
    const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
    wrapper.call(module.exports, module.exports, createRequire(file), module, file, dir);
    return module.exports;
  };
  return { script, cache, run };
}

/**
 * Run `guard daemon start --foreground` from the bundle in `dir` (the process ends there); false
 * when there is no usable bundle or the arguments are not the form it runs.
 */
export async function runDaemonBundle(dir: string, argv: string[]): Promise<boolean> {
  const bundle = compileDaemonBundle(dir);
  if (bundle === undefined) return false;
  return bundle.run().daemonMain(argv, `${BUNDLE_FILE}, code cache ${bundle.cache}`);
}

/**
 * The build's step: compile the bundle in `dir` (its final place), run its top level (which
 * compiles what loading it compiles) and write V8's code cache after the bundle's stamp and path.
 * Run in a fresh Node process without NODE_OPTIONS, so that its V8 flags are a daemon's.
 */
export function writeCodeCache(dir: string): number {
  const bundle = compileDaemonBundle(dir, false);
  if (bundle === undefined) throw new Error(`${join(dir, BUNDLE_FILE)} is missing, not ASCII or not stamped`);
  bundle.run();
  const data = bundle.script.createCachedData();
  const file = join(dir, BUNDLE_FILE);
  writeFileSync(join(dir, CACHE_FILE), Buffer.concat([cacheHeader(readFileSync(file, 'latin1'), file), data]));
  return data.length;
}
