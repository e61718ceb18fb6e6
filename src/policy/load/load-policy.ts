import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { guardPaths } from '../../config/paths.js';
import { compilePolicy, policyDigest, type PolicyDoc } from './compile.js';
import type { ExampleCache } from './example-cache.js';
import { createEngine, type Engine } from '../engine.js';
import { PolicyLoadError } from '../errors.js';
import { shippedPolicyDir } from './locate.js';
import { SignatureChecker } from './signed.js';
import type { LoadedPolicy } from '../index.js';
import type { PolicyLayer } from '../types.js';

export const SYSTEM_POLICY_DIR = '/etc/guard/policies';

function yamlFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
      return [];
    throw new PolicyLoadError([`${dir}:1:1: cannot read the policy directory: ${(err as Error).message}`], {
      cause: err,
    });
  }
  return names
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()
    .map((n) => join(dir, n));
}

function readDoc(file: string, layer: PolicyLayer): PolicyDoc {
  try {
    return { file, layer, text: readFileSync(file, 'utf8') };
  } catch (err) {
    throw new PolicyLoadError([`${file}:1:1: cannot read the policy file: ${(err as Error).message}`], { cause: err });
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Whether a project `.guard/` exists. Only "no such file" means no: if the daemon cannot look
 * (EACCES — e.g. a hardened daemon user without access to the agent's repository), the project
 * may hold tightening rules it cannot see, so it refuses to judge instead of skipping them.
 */
function projectDirExists(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw new PolicyLoadError([
      `${p}:1:1: cannot check for project policy rules (${code ?? 'error'}); give the guard daemon's user read access to this directory`,
    ]);
  }
}

/** `.guard/` directories from cwd up to the repository root (the directory holding .git). */
export function projectPolicyDirs(cwd: string): string[] {
  const out: string[] = [];
  let dir = resolve(cwd);
  for (let i = 0; i < 64; i++) {
    const g = join(dir, '.guard');
    if (projectDirExists(g)) out.unshift(g, join(g, 'policies'));
    if (isDir(join(dir, '.git')) || statSafe(join(dir, '.git'))) break;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return out;
}

function statSafe(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Read every policy layer (or the explicit files) and compile them. Fails closed. The shipped pack
 * and /etc/guard/policies are always read; GUARD_DEFAULT_POLICIES, GUARD_SYSTEM_POLICIES, the user
 * layer and the project layer are places the agent may write or name, so their files may only
 * tighten unless signed by an approver (decision 0121). A signed GUARD_DEFAULT_POLICIES replaces
 * the shipped pack. `shippedDir` is for tests of a broken install.
 * With an example cache, a policy whose digest the cache vouches for is compiled without judging
 * its rule examples (`examplesUnchecked` is then set), and one judged in full is added to the cache.
 */
export async function loadPolicy(opts: {
  env: NodeJS.ProcessEnv;
  cwd: string;
  files?: string[];
  engine?: Engine;
  shippedDir?: string | undefined;
  exampleCache?: ExampleCache;
}): Promise<LoadedPolicy> {
  const docs: PolicyDoc[] = [];
  const notes: string[] = [];
  if (opts.files !== undefined && opts.files.length > 0) {
    for (const f of opts.files) {
      const p = resolve(opts.cwd, f);
      if (isDir(p)) for (const y of yamlFiles(p)) docs.push(readDoc(y, 'explicit'));
      else docs.push(readDoc(p, 'explicit'));
    }
  } else {
    const signatures = new SignatureChecker(guardPaths(opts.env).approversDir);
    /** Files of a place the agent can write or name: each may only tighten unless signed. */
    const guarded = (files: string[], layer: PolicyLayer): PolicyDoc[] =>
      files.map((f) => {
        const doc = readDoc(f, layer);
        const sig = signatures.check(f, doc.text);
        if ('signedBy' in sig) return { ...doc, signedBy: sig.signedBy };
        if (sig.problem !== undefined) notes.push(`${f}: signature ignored: ${sig.problem}`);
        return { ...doc, tightenOnly: true };
      });
    const shipped = 'shippedDir' in opts ? opts.shippedDir : shippedPolicyDir();
    const defaults = shipped !== undefined ? yamlFiles(shipped).map((f) => readDoc(f, 'default')) : [];
    const overrideDir = opts.env['GUARD_DEFAULT_POLICIES'];
    const override =
      overrideDir !== undefined && overrideDir !== '' && resolve(overrideDir) !== shipped
        ? guarded(yamlFiles(resolve(overrideDir)), 'default')
        : [];
    if (override.length > 0 && override.every((d) => d.signedBy !== undefined)) docs.push(...override);
    else {
      if (defaults.length === 0)
        throw new PolicyLoadError([
          `${shipped ?? 'policies'}:1:1: the shipped default policy is missing; reinstall guard`,
        ]);
      docs.push(...defaults);
      docs.push(...override);
    }
    for (const f of yamlFiles(SYSTEM_POLICY_DIR)) docs.push(readDoc(f, 'system'));
    const system = opts.env['GUARD_SYSTEM_POLICIES'];
    if (system !== undefined && system !== '' && resolve(system) !== SYSTEM_POLICY_DIR)
      docs.push(...guarded(yamlFiles(resolve(system)), 'system'));
    docs.push(...guarded(yamlFiles(guardPaths(opts.env).policyDir), 'user'));
    for (const d of projectPolicyDirs(opts.cwd)) for (const f of yamlFiles(d)) docs.push(readDoc(f, 'project'));
  }
  const engine = opts.engine ?? (await createEngine());
  const cache = opts.exampleCache;
  const key = cache?.key(policyDigest(docs));
  const vouched = key !== undefined && cache!.has(key);
  const loaded = compilePolicy(docs, { engine, skipExamples: vouched });
  if (key !== undefined && !vouched) cache!.add(key);
  return { ...loaded, warnings: [...notes, ...loaded.warnings], loosenings: [...notes, ...loaded.loosenings] };
}
