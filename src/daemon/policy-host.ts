/**
 * Policy in the daemon: loaded at start (a broken policy stops the start, with file:line:col),
 * watched, and reloaded on change. A reload that fails keeps the last good policy and records
 * `policy_error`; one that changes the digest records `policy_changed`.
 *
 * The project layer depends on the request's cwd, so policies are cached per cwd and per set of
 * project `.guard` directories found above it (a few stat calls per request); every cache is
 * dropped when a file in a watched directory changes.
 */
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { FailClosedError, messageOf } from '../errors.js';
import type { LedgerWriter } from '../ledger/types.js';
import {
  checkExamplesInTurns,
  loadPolicy,
  projectPolicyDirs,
  type Engine,
  type ExampleCache,
  type LoadedPolicy,
} from '../policy/index.js';
import type { Logger } from './log.js';
import { ruleDigests } from '../evidence/rule-digests.js';

export type { LoadedPolicy };

const CWD_CACHE_MAX = 256;
const RELOAD_DEBOUNCE_MS = 100;

export interface PolicyHostOptions {
  env: NodeJS.ProcessEnv;
  /** Explicit policy files (`guard daemon start --policy`). */
  files: string[] | undefined;
  /** Where the daemon loads its base policy from (the user/system layers; no project). */
  baseCwd: string;
  /** Directories to watch in addition to those of the loaded files (the user policy dir). */
  watchDirs: string[];
  ledger: LedgerWriter;
  log: Logger;
  /** The daemon's engine (the shell parser is initialised once). */
  engine: Engine;
  /** Skips judging rule examples at start for a policy already judged; they are judged once serving. */
  exampleCache?: ExampleCache | undefined;
  /** A policy the cache vouched for failed its examples when judged again: the daemon stops. */
  onExamplesFailed?: ((problems: string[]) => void) | undefined;
}

/**
 * The policy that applies in `cwd`, loaded with the daemon's options. The daemon loads its base
 * policy with it before the host exists: the ledger it opens next records that policy's digest.
 */
export function loadFor(
  opts: Pick<PolicyHostOptions, 'env' | 'files' | 'engine' | 'exampleCache'>,
  cwd: string,
): Promise<LoadedPolicy> {
  return loadPolicy({
    env: opts.env,
    cwd,
    engine: opts.engine,
    ...(opts.files === undefined ? {} : { files: opts.files }),
    ...(opts.exampleCache === undefined ? {} : { exampleCache: opts.exampleCache }),
  });
}

export class PolicyHost {
  private current: LoadedPolicy | undefined;
  private lastError: string | undefined;
  private readonly cache = new Map<string, LoadedPolicy>();
  private readonly lastGood = new Map<string, LoadedPolicy>();
  private readonly watchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> = Promise.resolve();
  /** Policies loaded on the cache's word whose examples still wait to be judged. */
  private unchecked: LoadedPolicy[] = [];
  private checking: Promise<void> | undefined;
  private serving = false;
  /** Digests whose examples this process has judged (or queued): a reload of the same text is not judged again. */
  private readonly judged = new Set<string>();

  constructor(private readonly opts: PolicyHostOptions) {}

  private async load(cwd: string): Promise<LoadedPolicy> {
    const loaded = await loadFor(this.opts, cwd);
    // a file changing beside the policy (the watch is per directory) reloads the same text
    const known = this.judged.has(loaded.digest);
    // bounded like the cwd cache: forgetting only means judging a policy's examples again
    if (this.judged.size >= CWD_CACHE_MAX) this.judged.clear();
    this.judged.add(loaded.digest);
    if (loaded.examplesUnchecked === true && !known) {
      this.unchecked.push(loaded);
      if (this.serving) void this.checkUnchecked();
    }
    return loaded;
  }

  /**
   * The daemon serves: judge the examples the cache vouched for, a rule at a time between
   * requests. Resolves when none are left (tests wait on it).
   */
  startServing(): Promise<void> {
    this.serving = true;
    return this.checkUnchecked();
  }

  private checkUnchecked(): Promise<void> {
    this.checking ??= (async () => {
      for (let next = this.unchecked.shift(); next !== undefined; next = this.unchecked.shift()) {
        const problems = await checkExamplesInTurns(next.policy, this.opts.engine);
        if (problems.length === 0) {
          this.opts.log.info(`policy ${next.digest}: rule examples judged again: every one behaves`);
          continue;
        }
        const key = this.opts.exampleCache?.key(next.digest);
        if (key !== undefined) this.opts.exampleCache?.remove(key);
        this.opts.log.error(
          `policy ${next.digest} was loaded on the example cache's word, but its examples fail:\n${problems.join('\n')}`,
        );
        this.opts.onExamplesFailed?.(problems);
      }
    })().finally(() => {
      this.checking = undefined;
      if (this.unchecked.length > 0) void this.checkUnchecked();
    });
    return this.checking;
  }

  /** Serve `base` (already loaded with loadFor) or load the base policy now; watch its files. */
  async start(base?: LoadedPolicy): Promise<LoadedPolicy> {
    if (base !== undefined) this.judged.add(base.digest);
    if (base?.examplesUnchecked === true) this.unchecked.push(base);
    this.current = base ?? (await this.load(this.opts.baseCwd));
    for (const w of this.current.warnings) this.opts.log.warn(`policy: ${w}`);
    this.opts.log.info(
      this.current.examplesUnchecked === true
        ? `policy ${this.current.digest}: rule examples vouched for by the example cache; judging them again once serving`
        : `policy ${this.current.digest}: rule examples judged`,
    );
    this.watchAll(this.current);
    return this.current;
  }

  /** Loosenings ignored because no approver signed their file (decision 0121) go to the ledger. */
  async recordIgnored(loaded: LoadedPolicy): Promise<void> {
    if (loaded.loosenings.length === 0) return;
    await this.opts.ledger.append('policy_error', {
      error: 'loosening in policy files no approver signed was ignored',
      ignored: loaded.loosenings,
      kept: loaded.digest,
    });
  }

  get digest(): string {
    return this.current?.digest ?? '';
  }

  status(): { digest: string; files: string[]; lastError?: string | undefined } {
    return { digest: this.digest, files: this.current?.files ?? [], lastError: this.lastError };
  }

  /**
   * The policy for a request in `cwd`. When loading fails: the last good policy for that cwd if
   * there is one, else the base policy when the base itself is what broke (a failed reload keeps
   * the last good policy); otherwise FailClosedError (e.g. that project's own layer is broken).
   */
  async forCwd(cwd: string): Promise<LoadedPolicy> {
    const projectDirs = this.opts.files === undefined ? projectPolicyDirs(cwd) : [];
    const key = this.opts.files === undefined ? `${cwd}\0${projectDirs.join('\0')}` : '';
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    let loaded: LoadedPolicy;
    try {
      loaded = await this.load(cwd);
    } catch (err) {
      const lastGood = this.lastGood.get(cwd);
      if (lastGood !== undefined) return lastGood;
      if (this.lastError !== undefined && this.current !== undefined) return this.current;
      if (err instanceof FailClosedError) throw err;
      throw new FailClosedError(`policy could not be loaded for ${cwd}: ${(err as Error).message}`, { cause: err });
    }
    if (this.cache.size >= CWD_CACHE_MAX) this.cache.clear();
    if (this.lastGood.size >= CWD_CACHE_MAX) this.lastGood.clear();
    this.cache.set(key, loaded);
    this.lastGood.set(cwd, loaded);
    this.watchAll(loaded, projectDirs);
    return loaded;
  }

  private watchAll(loaded: LoadedPolicy, extraDirs: string[] = []): void {
    const dirs = new Set([...this.opts.watchDirs, ...extraDirs, ...loaded.files.map((f) => dirname(f))]);
    for (const dir of dirs) {
      if (this.watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, () => this.scheduleReload());
        w.on('error', () => {
          w.close();
          this.watchers.delete(dir);
        });
        this.watchers.set(dir, w);
      } catch {
        // a directory that does not exist yet cannot be watched; a new .guard directory changes the cache key
      }
    }
  }

  private scheduleReload(): void {
    this.cache.clear();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.reloading = this.reloading.then(() => this.reload());
    }, RELOAD_DEBOUNCE_MS);
  }

  /** Reload the base policy now; records the outcome in the ledger. */
  async reload(): Promise<void> {
    this.cache.clear();
    try {
      const next = await this.load(this.opts.baseCwd);
      this.lastError = undefined;
      if (next.digest === this.current?.digest) return;
      const previous = this.current?.digest ?? null;
      this.current = next;
      this.watchAll(next);
      await this.opts.ledger.append('policy_changed', {
        digest: next.digest,
        previous,
        files: next.files,
        rules: ruleDigests(next.policy),
      });
      await this.recordIgnored(next);
      this.opts.log.info(`policy reloaded: ${next.digest}`);
    } catch (err) {
      const message = messageOf(err);
      this.lastError = message;
      this.opts.log.error(`policy reload failed, keeping ${this.digest}: ${message}`);
      try {
        await this.opts.ledger.append('policy_error', { error: message, kept: this.digest });
      } catch (lerr) {
        this.opts.log.error(`cannot record policy_error: ${(lerr as Error).message}`);
      }
    }
  }

  /** The last good base policy (used when a reload failed). */
  get base(): LoadedPolicy {
    if (this.current === undefined) throw new FailClosedError('no policy loaded');
    return this.current;
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}
