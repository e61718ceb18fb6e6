import { addUnresolved, union, type Analysis, type Base } from './context.js';
import type { Cmd, WrittenFile } from './model.js';
import { normalizeAbsolute, resolvePath } from './paths.js';
import type { Word } from './words.js';

/**
 * Files written earlier in the same line and run later in it (`echo 'rm -rf /' > x.sh && sh
 * x.sh`, `curl -o i.sh URL && bash i.sh`). The engine never opens files; it only remembers what
 * the line itself wrote: literal text (echo, printf, cat of a heredoc) is judged as the script,
 * a download makes the run count as fed by the downloader, anything else is unresolved.
 */

/** The directory the line is in at this point: the request's cwd, then literal `cd` targets. */
function here(a: Analysis): string {
  let d = a.cwd;
  for (const x of a.dirs) d = x.startsWith('/') ? normalizeAbsolute(x) : resolvePath(d, x);
  return d;
}

/** The key a path is remembered under: `./x.sh`, `x.sh` and `$cwd/x.sh` are one file. */
export function fileKey(a: Analysis, p: string): string {
  return p.startsWith('/') ? normalizeAbsolute(p) : resolvePath(here(a), p);
}

/**
 * Text a stage writes to stdout, when it is literal (echo/printf/cat of a heredoc). Backslash
 * escapes (`echo -e`, dash's echo, unquoted heredocs) and printf formats change the text on the
 * way out, so such text is unknown.
 */
export function outputText(program: string, args: Word[], stdin: string | undefined): string | undefined {
  if (program === 'echo' && !args.some((w) => w.dynamic || w.text.includes('\\')))
    return args
      .filter((w) => !/^-[neE]+$/.test(w.text))
      .map((w) => w.text)
      .join(' ');
  if (program === 'printf') {
    const fmt = args.find((w) => !w.text.startsWith('-'));
    return fmt !== undefined && !fmt.dynamic && !/[%\\]/.test(fmt.text) ? fmt.text : undefined;
  }
  if ((program === 'cat' || program === 'tee') && args.every((w) => w.text.startsWith('-')))
    return stdin !== undefined && !stdin.includes('\\') ? stdin : undefined;
  return undefined;
}

export function recordFile(a: Analysis, path: string, f: WrittenFile): void {
  if (path === '' || path.startsWith('/dev/') || a.files.size >= 200) return;
  const k = fileKey(a, path);
  const old = a.files.get(k);
  a.files.set(
    k,
    old === undefined
      ? f
      : {
          text: old.text !== undefined && f.text !== undefined ? `${old.text}\n${f.text}` : undefined,
          fedBy: union(old.fedBy, f.fedBy),
        },
  );
}

function urlBase(u: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]+\/(?:[^?#]*\/)?([^/?#]+)(?:[?#].*)?$/i.exec(u);
  return m?.[1];
}

/** Files a downloader saves: `curl -o F`, `curl -O URL`, `wget -O F`, `wget URL`. */
export function downloads(name: string, args: Word[]): string[] {
  if (name !== 'curl' && name !== 'wget') return [];
  const out: string[] = [];
  const urls = args.filter((w) => /^[a-z][a-z0-9+.-]*:\/\//i.test(w.text)).map((w) => w.text);
  let remoteName = name === 'wget';
  let explicit = false;
  for (let i = 0; i < args.length; i++) {
    const t = args[i]!.text;
    const outOpt =
      name === 'curl' ? /^-[a-zA-Z]*o$/.test(t) || t === '--output' : t === '-O' || t === '--output-document';
    if (outOpt) {
      const v = args[++i];
      if (v !== undefined) out.push(v.text);
      explicit = true;
    } else if (name === 'curl' && /^-[a-zA-Z]*o./.test(t) && !t.startsWith('--')) {
      out.push(t.slice(t.indexOf('o') + 1));
      explicit = true;
    } else if (t.startsWith('--output=') || t.startsWith('--output-document=')) {
      out.push(t.slice(t.indexOf('=') + 1));
      explicit = true;
    } else if (name === 'wget' && t.startsWith('-O') && t.length > 2) {
      out.push(t.slice(2));
      explicit = true;
    } else if (
      name === 'curl' &&
      (/^-[a-zA-Z]*O[a-zA-Z]*$/.test(t) || t === '--remote-name' || t === '--remote-name-all')
    )
      remoteName = true;
  }
  if (remoteName && !explicit) for (const u of urls) out.push(urlBase(u) ?? 'index.html');
  return out;
}

/** A command runs a file: when the line wrote it, judge what it wrote. Returns true when known. */
export function runWrittenFile(
  a: Analysis,
  path: string,
  c: Cmd | undefined,
  next: Base,
  judge: (text: string) => void,
): boolean {
  const rec = a.files.get(fileKey(a, path));
  if (rec === undefined) return false;
  if (c !== undefined) c.fedBy = union(c.fedBy, rec.fedBy);
  if (rec.text !== undefined) judge(rec.text);
  else
    addUnresolved(
      a,
      'generated-script',
      next.text,
      `${path} was written earlier in this line by ${rec.fedBy.join(', ') || 'a command'} and is then run`,
    );
  return true;
}

/** Text of files written earlier in the line that a command names (psql -f q.sql). */
const NONE: string[] = [];

export function namedFileText(a: Analysis, args: Word[]): string[] {
  if (a.files.size === 0) return NONE;
  const out: string[] = [];
  for (const w of args) {
    const t = w.text.startsWith('-') ? (/^--[A-Za-z-]+=(.+)$/.exec(w.text)?.[1] ?? '') : w.text;
    const rec = t !== '' ? a.files.get(fileKey(a, t)) : undefined;
    if (rec?.text !== undefined) out.push(rec.text);
  }
  return out;
}

const DOWNLOADERS = new Set(['curl', 'wget', 'fetch', 'aria2c', 'http', 'https', 'xh']);

/** What a leaf command does to the line's state: files it writes, directories it enters. */
export function leafEffects(a: Analysis, name: string, args: Word[], base: Base): void {
  if (base.writes.length > 0) {
    const text =
      base.stdin.dynamic && (name === 'cat' || name === 'tee') ? undefined : outputText(name, args, base.stdin.text);
    if (text !== undefined) for (const w of base.writes) a.files.set(fileKey(a, w), { text, fedBy: base.stdin.fedBy });
  }
  if (name === 'tee')
    for (const w of args)
      if (!w.text.startsWith('-') && !w.dynamic)
        recordFile(a, w.text, {
          text: base.stdin.dynamic ? undefined : outputText('cat', [], base.stdin.text),
          fedBy: base.stdin.fedBy,
        });
  for (const f of downloads(name, args)) recordFile(a, f, { text: undefined, fedBy: [name] });
  if (DOWNLOADERS.has(name) && !a.downloaders.includes(name)) a.downloaders.push(name);
  if ((name === 'cd' || name === 'pushd') && a.dirs.length < 20) {
    const d = args.find((w) => !w.text.startsWith('-') || w.text === '-');
    if (d !== undefined && !d.dynamic && !/^~[^/]/.test(d.text) && d.text !== '-')
      a.dirs.push(d.text.startsWith('/') || a.dirs.length === 0 ? d.text : `${a.dirs[a.dirs.length - 1]!}/${d.text}`);
  }
}
