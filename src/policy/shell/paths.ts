/**
 * Lexical path normalisation for rules that name paths (`/etc/sudoers`, `/dev/sda`, `/`): the
 * shell and the kernel read `/etc//sudoers`, `/etc/./sudoers`, `/usr/../etc/sudoers` and a
 * relative `sudoers` after `cd /etc` as the same file, so rules see those spellings too.
 * Symbolic links are not followed (the engine is pure); `..` is resolved lexically.
 */

/** Collapse `//`, `.` and `..` segments and a trailing slash of an absolute path. */
export function normalizeAbsolute(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return `/${out.join('/')}`;
}

/** Join a relative path onto a directory and normalise. */
export function resolvePath(dir: string, rel: string): string {
  // fast path: a plain name under a clean directory
  if (/^[^/.][^/]*$/.test(rel) && !/\/\.{0,2}(?:\/|$)|\/\/|.\/$/.test(dir))
    return dir === '/' ? `/${rel}` : `${dir}/${rel}`;
  return normalizeAbsolute(`${dir}/${rel}`);
}

const KEYED = /^([A-Za-z_][A-Za-z0-9_-]*=)(.+)$/;

/**
 * Other spellings of a word that names a path: the normalised absolute path, and for a
 * relative word, the path it names from each directory the command may run in. `of=PATH`
 * keeps its `key=` prefix. Words that are options, URLs or contain no path are left alone.
 */
export function pathForms(text: string, dirs: readonly string[]): string[] {
  const keyed = KEYED.exec(text);
  const prefix = keyed !== null && !text.startsWith('-') ? keyed[1]! : '';
  const p = prefix !== '' ? keyed![2]! : text;
  if (p.startsWith('-') || p.startsWith('~') || p.includes('://') || p.includes('\0')) return [];
  if (p.startsWith('/')) {
    const n = normalizeAbsolute(p);
    // keep a trailing `/*` or `*` spelling visible to globs such as `/\*`
    return n !== p ? [prefix + n] : [];
  }
  if (prefix === '' && /^[A-Za-z][A-Za-z0-9+.-]*:/.test(p)) return []; // host:path, s3:bucket
  const out: string[] = [];
  for (const d of dirs)
    if (d.startsWith('/')) out.push(prefix + resolvePath(d, p));
    // after `cd ~/x`: the path under the home directory, spelled from `~` (`~user` is not followed)
    else if (d === '~' || d.startsWith('~/')) out.push(`${prefix}~${normalizeAbsolute(`${d.slice(1)}/${p}`)}`);
  return out;
}
