import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parseIni, readSmall } from './fsutil.js';
import { isDirty } from './gitdirty.js';

export interface GitInfo {
  root: string;
  remote?: string;
  branch?: string;
  commit?: string;
  dirty?: boolean;
}

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** Find the work tree root and its git dir (`.git` directory, or a `.git` file: worktrees, submodules). */
export async function findRepo(cwd: string): Promise<{ root: string; gitDir: string; commonDir: string } | undefined> {
  let dir = resolve(cwd);
  for (let i = 0; i < 64; i++) {
    const dotGit = join(dir, '.git');
    const st = await stat(dotGit).catch(() => undefined);
    if (st?.isDirectory() === true) return { root: dir, gitDir: dotGit, commonDir: dotGit };
    if (st?.isFile() === true) {
      const m = /^gitdir:\s*(.+?)\s*$/m.exec((await readSmall(dotGit, 4096)) ?? '');
      if (m === null) return undefined;
      const gitDir = isAbsolute(m[1]!) ? m[1]! : resolve(dir, m[1]!);
      const common = (await readSmall(join(gitDir, 'commondir'), 4096))?.trim();
      const commonDir =
        common === undefined || common === '' ? gitDir : isAbsolute(common) ? common : resolve(gitDir, common);
      return { root: dir, gitDir, commonDir };
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
  return undefined;
}

/**
 * The quick context (docs/decisions/0004) reads packed-refs only up to this size, so that its cost
 * stays flat however many refs a repository packs (200,000 refs made every exec 6 × slower). A
 * branch found only in a larger packed-refs is recorded without its commit until the full
 * context (held commands) or the next commit (which writes the loose ref) gives it.
 * native/src/context.rs uses the same bound.
 */
export const QUICK_PACKED_REFS_MAX = 256 * 1024;

/** Look a ref up as a loose file, then in packed-refs (when it is at most `packedMax` bytes). */
async function readRef(commonDir: string, gitDir: string, ref: string, packedMax: number): Promise<string | undefined> {
  if (!/^refs\/[A-Za-z0-9._/-]{1,240}$/.test(ref) || ref.includes('..')) return undefined;
  for (const dir of [gitDir, commonDir]) {
    const v = (await readSmall(join(dir, ref), 4096))?.trim();
    if (v !== undefined && SHA.test(v)) return v;
  }
  const packed = (await readSmall(join(commonDir, 'packed-refs'), packedMax)) ?? '';
  for (const line of packed.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0 && line.slice(sp + 1).trim() === ref && SHA.test(line.slice(0, sp))) return line.slice(0, sp);
  }
  return undefined;
}

/**
 * Remove credentials from a remote URL: the whole userinfo of `scheme://user:pass@host` (a user
 * alone may itself be a token: `https://ghp_…@github.com`), but keep `ssh://git@host` and
 * `git@host:org/repo`, whose user is not a secret.
 */
export function stripUrlCredentials(url: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*@)(.*)$/s.exec(url);
  if (m === null) return url;
  const userinfo = m[2]!.slice(0, -1);
  const ssh = /^(?:ssh|git\+ssh|ssh\+git):\/\/$/i.test(m[1]!);
  if (ssh && !userinfo.includes(':')) return url;
  return m[1]! + m[3]!;
}

/** `dirty: false` is the quick context: no work-tree scan, and a bounded packed-refs read. */
export async function gitInfo(cwd: string, opts: { dirty?: boolean } = {}): Promise<GitInfo | undefined> {
  const repo = await findRepo(cwd);
  if (repo === undefined) return undefined;
  const info: GitInfo = { root: repo.root };
  const head = (await readSmall(join(repo.gitDir, 'HEAD'), 4096))?.trim();
  if (head !== undefined) {
    const ref = /^ref:\s*(refs\/\S+)$/.exec(head);
    if (ref !== null) {
      info.branch = ref[1]!.replace(/^refs\/heads\//, '');
      const packedMax = opts.dirty === false ? QUICK_PACKED_REFS_MAX : 64 * 1024 * 1024;
      const commit = await readRef(repo.commonDir, repo.gitDir, ref[1]!, packedMax);
      if (commit !== undefined) info.commit = commit;
    } else if (SHA.test(head)) {
      info.commit = head;
    }
  }
  const config = parseIni((await readSmall(join(repo.commonDir, 'config'))) ?? '');
  const upstream = info.branch === undefined ? undefined : config.get(`branch "${info.branch}"`)?.get('remote');
  const remoteName =
    upstream ??
    (config.has('remote "origin"') ? 'origin' : [...config.keys()].find((k) => k.startsWith('remote "'))?.slice(8, -1));
  const url = remoteName === undefined ? undefined : config.get(`remote "${remoteName}"`)?.get('url');
  if (url !== undefined && url !== '') info.remote = stripUrlCredentials(url);
  const dirty = opts.dirty === false ? undefined : await isDirty(repo.root, repo.gitDir);
  if (dirty !== undefined) info.dirty = dirty;
  return info;
}
