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
  if (program === 'echo' && !args.some((w) => w.dynamic))
    return bothSpellings(
      args
        .filter((w) => !/^-[neE]+$/.test(w.text))
        .map((w) => w.text)
        .join(' '),
    );
  if (program === 'printf') {
    const fmt = args.find((w) => !w.text.startsWith('-'));
    return fmt !== undefined && !fmt.dynamic && !fmt.text.includes('%') ? bothSpellings(fmt.text) : undefined;
  }
  if ((program === 'cat' || program === 'tee') && args.every((w) => w.text.startsWith('-')))
    return stdin !== undefined && !stdin.includes('\\') ? stdin : undefined;
  return undefined;
}

/**
 * Text with backslash escapes is printed as written by bash's echo and decoded by dash's echo,
 * `echo -e` and printf: both spellings are judged (a rule or a script sees either).
 */
function bothSpellings(raw: string): string {
  if (!raw.includes('\\')) return raw;
  const decoded = raw.replace(
    /\\(?:x([0-9a-fA-F]{1,2})|0?([0-7]{1,3})|([\s\S]))/g,
    (_m, hex?: string, oct?: string, c?: string) => {
      if (hex !== undefined) return String.fromCharCode(parseInt(hex, 16));
      if (oct !== undefined) return String.fromCharCode(parseInt(oct, 8));
      const map: Record<string, string> = {
        n: '\n',
        t: '\t',
        r: '\r',
        a: '\x07',
        b: '\b',
        f: '\f',
        v: '\v',
        e: '\x1b',
      };
      return map[c!] ?? (c === '\\' ? '\\' : `\\${c!}`);
    },
  );
  return `${raw}\n${decoded}`;
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
  if (name === 'aria2c') {
    const i = args.findIndex((w) => w.text === '-o' || w.text === '--out');
    const glued = args.find((w) => w.text.startsWith('--out=') || (w.text.startsWith('-o') && w.text.length > 2));
    const v = i !== -1 ? args[i + 1]?.text : glued?.text.replace(/^--out=|^-o/, '');
    return v !== undefined ? [v] : [];
  }
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
  copies(a, name, args, base);
  for (const f of downloads(name, args)) recordFile(a, f, { text: undefined, fedBy: [name] });
  if (DOWNLOADERS.has(name) && !a.downloaders.includes(name)) a.downloaders.push(name);
  if ((name === 'cd' || name === 'pushd') && a.dirs.length < 20) {
    const d = args.find((w) => !w.text.startsWith('-') || w.text === '-');
    if (d !== undefined && !d.dynamic && !/^~[^/]/.test(d.text) && d.text !== '-')
      a.dirs.push(d.text.startsWith('/') || a.dirs.length === 0 ? d.text : `${a.dirs[a.dirs.length - 1]!}/${d.text}`);
  }
}

const COPY_VALUES = new Set([
  '-m',
  '--mode',
  '-o',
  '--owner',
  '-g',
  '--group',
  '-S',
  '--suffix',
  '-t',
  '--target-directory',
]);
const STDIN_NAMES = new Set(['/dev/stdin', '-', '/dev/fd/0', '/proc/self/fd/0']);

/**
 * Writers the line tracks besides redirections and tee: `sponge F` and `dd of=F` (stdin), `cp`/
 * `install` from stdin, `cp`/`mv`/`ln`/`install` of a file (what it holds goes along; a file the
 * line did not write, such as /bin/rm, is unknown content), `sed -i`/`perl -i` (unknown).
 */
function copies(a: Analysis, name: string, args: Word[], base: Base): void {
  const stdinText = base.stdin.dynamic ? undefined : outputText('cat', [], base.stdin.text);
  const fromStdin = { text: stdinText, fedBy: base.stdin.fedBy };
  if (name === 'sponge') {
    for (const w of args) if (!w.text.startsWith('-') && !w.dynamic) recordFile(a, w.text, fromStdin);
    return;
  }
  if (name === 'dd') {
    const of = args.find((w) => w.text.startsWith('of='));
    const inp = args.find((w) => w.text.startsWith('if='));
    if (of !== undefined && !of.dynamic)
      recordFile(a, of.text.slice(3), inp === undefined ? fromStdin : { text: undefined, fedBy: ['dd'] });
    return;
  }
  if ((name === 'sed' || name === 'perl') && args.some((w) => /^-[A-Za-z]*i|^--in-place/.test(w.text))) {
    const fragment = name === 'sed' ? sedReplacement(args) : undefined;
    for (const w of args.slice(1))
      if (!w.text.startsWith('-') && !w.dynamic) recordFile(a, w.text, { text: undefined, fedBy: [name], fragment });
    return;
  }
  if (name !== 'cp' && name !== 'mv' && name !== 'ln' && name !== 'install') return;
  const pos: Word[] = [];
  for (let i = 0; i < args.length; i++) {
    const t = args[i]!.text;
    if (COPY_VALUES.has(t)) i++;
    else if (!t.startsWith('-') || t === '-') pos.push(args[i]!);
  }
  if (pos.length !== 2 || pos.some((w) => w.dynamic)) return;
  const [src, dst] = [pos[0]!.text, pos[1]!.text];
  if (STDIN_NAMES.has(src)) {
    recordFile(a, dst, fromStdin);
    return;
  }
  const rec = a.files.get(fileKey(a, src));
  a.files.set(fileKey(a, dst), rec ?? { text: undefined, fedBy: [name] });
}

/**
 * The new text of `sed -i 's/OLD/NEW/flags' FILE`: one literal substitution whose flags neither run
 * (`e`) nor write (`w`) anything. Undefined for anything else (the file's new content is unknown).
 */
function sedReplacement(args: Word[]): string | undefined {
  const scripts = args.filter((w) => !w.text.startsWith('-'));
  const s = scripts[0];
  if (s === undefined || s.dynamic || args.some((w) => /^-[A-Za-z]*[ef]$|^--(?:expression|file)/.test(w.text)))
    return undefined;
  const m = /^s(.)((?:(?!\1)[^\\]|\\.)*)\1((?:(?!\1)[^\\]|\\.)*)\1([gip0-9]*)$/.exec(s.text);
  return m === null ? undefined : m[3]!.replace(/\\(.)/g, '$1');
}
