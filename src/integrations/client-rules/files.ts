/**
 * Where Codex and Gemini CLI read their own rules, as the hook (running as the agent's user, with
 * the client's environment) can see them. A directory that does not exist holds no rules; any
 * other failure to read is reported per file, and the caller refuses (fail closed).
 *
 * - Codex 0.171.0 (codex-rs/core/src/exec_policy.rs `load_exec_policy`): `rules/*.rules` in each
 *   config layer's folder: system `/etc/codex`, user `$CODEX_HOME` (default `~/.codex`), and the
 *   project layers `.codex/` of the working directory and its parents (loaded by Codex only for
 *   trusted projects; guard reads them always, which is stricter).
 * - Gemini CLI 0.61.0 (`getPolicyDirectories`): `/etc/gemini-cli/policies`, `~/.gemini/policies`,
 *   and the workspace's `.gemini/policies` (guard reads it in the working directory and each
 *   parent). Policy paths given on Gemini's command line (`--policy`) are not visible to the hook.
 */
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Larger rule files are not read (a client's rules are a few kB; the hook must answer in time). */
export const MAX_RULE_FILE_BYTES = 1024 * 1024;
/** More files than this in the rule folders together are not read either. */
export const MAX_RULE_FILES = 256;

/**
 * A regular file's text, bounded. Opened without blocking and checked after opening, so that a
 * FIFO or device named like a rules file cannot stall the hook past its deadline (an agent whose
 * hook times out runs the command).
 */
function readBounded(file: string): string {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error('it is not a regular file');
    if (st.size > MAX_RULE_FILE_BYTES) throw new Error(`it is larger than ${MAX_RULE_FILE_BYTES} bytes`);
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < st.size) {
      const n = readSync(fd, buf, got, st.size - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export interface RuleText {
  file: string;
  text?: string;
  error?: string;
}

/** The files ending in `ext` of each directory, in name order, with their text or the read error. */
export function readRuleDirs(dirs: readonly string[], ext: string): RuleText[] {
  const out: RuleText[] = [];
  const seen = new Set<string>();
  for (const dir of dirs) {
    if (seen.has(dir)) continue;
    seen.add(dir);
    let names: string[];
    try {
      names = readdirSync(dir)
        .filter((n) => n.endsWith(ext))
        .sort();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      out.push({ file: dir, error: `cannot list the directory: ${(err as Error).message}` });
      continue;
    }
    for (const name of names) {
      const file = join(dir, name);
      if (out.length >= MAX_RULE_FILES) {
        out.push({ file, error: `more than ${MAX_RULE_FILES} rule files` });
        return out;
      }
      try {
        out.push({ file, text: readBounded(file) });
      } catch (err) {
        out.push({ file, error: `cannot read it: ${(err as Error).message}` });
      }
    }
  }
  return out;
}

/** `dir/<sub>` for the directory and each parent up to the root. */
function upwards(cwd: string, sub: string): string[] {
  const out: string[] = [];
  for (let d = cwd; ; d = dirname(d)) {
    out.push(join(d, sub));
    if (dirname(d) === d) return out;
  }
}

export function codexRuleDirs(env: NodeJS.ProcessEnv, cwd: string, home: string): string[] {
  const codexHome =
    env['CODEX_HOME'] !== undefined && env['CODEX_HOME'] !== '' ? env['CODEX_HOME'] : join(home, '.codex');
  return ['/etc/codex/rules', join(codexHome, 'rules'), ...upwards(cwd, join('.codex', 'rules'))];
}

export function geminiPolicyDirs(cwd: string, home: string): string[] {
  return ['/etc/gemini-cli/policies', join(home, '.gemini', 'policies'), ...upwards(cwd, join('.gemini', 'policies'))];
}
