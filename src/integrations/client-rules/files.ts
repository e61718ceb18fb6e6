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
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MAX_CONFIG_BYTES, readSmall } from '../../context/fsutil.js';

/** More files than this in the rule folders together are not read. */
export const MAX_RULE_FILES = 256;

export interface RuleText {
  file: string;
  text?: string;
  error?: string;
}

/** The files ending in `ext` of each directory, in name order, with their text or the read error. */
export async function readRuleDirs(dirs: readonly string[], ext: string): Promise<RuleText[]> {
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
      // bounded and opened without blocking: a FIFO or device planted here must not stall the hook
      // past its deadline (a client whose hook times out runs the command)
      const text = await readSmall(file);
      out.push(
        text === undefined
          ? { file, error: `cannot read it as a regular text file of at most ${MAX_CONFIG_BYTES} bytes` }
          : { file, text },
      );
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
