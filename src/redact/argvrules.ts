import { flagKind } from './keyvalue.js';
import { isSecretName, secretAssignmentKind } from './names.js';
import { looksRandom } from './rules.js';

/**
 * Position rules over the words of one simple command: the value after `--password`, `-pX` for
 * mysql but not for psql (where -p is the port), `curl -u user:pass`, `--from-literal=k=v`,
 * `aws configure set aws_secret_access_key X`. Offsets are within one word.
 */
export interface WordSpan {
  word: number;
  start: number;
  end: number;
  kind: string;
  keep: number;
  priority: number;
}

type ShortMode = 'both' | 'attached' | 'user:pass' | 'user%pass';
interface ProgramRule {
  short: Record<string, ShortMode>;
  /** Rules apply only once this subcommand word was seen (docker login -p, not docker run -p). */
  after?: string;
}

const MYSQL: ProgramRule = { short: { p: 'both' } };
const MONGO: ProgramRule = { short: { p: 'both' } };
const LDAP: ProgramRule = { short: { w: 'both' } };
const MSSQL: ProgramRule = { short: { P: 'both' } };
const LOGIN: ProgramRule = { short: { p: 'both' }, after: 'login' };
const ZIP: ProgramRule = { short: { P: 'both' } };

/** Programs whose short flags carry secrets. A program not listed gets no short-flag rule. */
const PROGRAMS: ReadonlyMap<string, ProgramRule> = new Map([
  ...[
    'mysql',
    'mysqldump',
    'mysqladmin',
    'mysqlimport',
    'mysqlshow',
    'mysqlcheck',
    'mysqlpump',
    'mysqlsh',
    'mariadb',
    'mariadb-dump',
    'mariadb-admin',
  ].map((p) => [p, MYSQL] as const),
  ...['mongo', 'mongosh', 'mongodump', 'mongorestore', 'mongoexport', 'mongoimport'].map((p) => [p, MONGO] as const),
  ...['ldapsearch', 'ldapadd', 'ldapmodify', 'ldapdelete', 'ldappasswd', 'ldapwhoami'].map((p) => [p, LDAP] as const),
  ...['sqlcmd', 'bcp', 'osql'].map((p) => [p, MSSQL] as const),
  ...['docker', 'podman', 'nerdctl', 'buildah', 'az', 'oras', 'helm'].map((p) => [p, LOGIN] as const),
  ...['zip', 'unzip', 'zipcloak'].map((p) => [p, ZIP] as const),
  ['7z', { short: { p: 'attached' } }],
  ['7za', { short: { p: 'attached' } }],
  ['7zz', { short: { p: 'attached' } }],
  ['sshpass', { short: { p: 'both' } }],
  ['redis-cli', { short: { a: 'both' } }],
  ['ssh-keygen', { short: { N: 'both', P: 'both' } }],
  ['curl', { short: { u: 'user:pass', U: 'user:pass' } }],
  ['smbclient', { short: { U: 'user%pass' } }],
  ['gh', { short: { b: 'both' }, after: 'secret' }],
]);

/** Long flags (beyond secret-looking names) whose value is a secret. */
const EXTRA_SECRET_FLAGS = new Set([
  'pass',
  'passin',
  'passout',
  'storepass',
  'keypass',
  'srcstorepass',
  'deststorepass',
  'srckeypass',
  'destkeypass',
  'oauth2-bearer',
  'body',
]);
const USER_PASS_FLAGS = new Set(['user', 'proxy-user']);
/** Values that point at a secret rather than hold it (openssl `-passin env:VAR`). */
const REFERENCE_VALUE = /^(?:env|file|fd):|^stdin$/;

const basename = (w: string): string => w.slice(w.lastIndexOf('/') + 1);
const FLAG = /^--?([A-Za-z][A-Za-z0-9_.-]*)$/;

function userPass(word: number, w: string, offset: number, sep: string, out: WordSpan[]): void {
  const at = w.indexOf(sep, offset);
  if (at >= 0 && at < w.length - 1)
    out.push({ word, start: at + 1, end: w.length, kind: 'basic-auth', keep: 0, priority: 2 });
}

/** Secret kind for the value of a long flag `name`, or undefined. */
function longFlagKind(name: string, value: string, program: string, seen: Set<string>): string | undefined {
  const lower = name.toLowerCase();
  if (REFERENCE_VALUE.test(value) && /^pass(in|out)?$/.test(lower)) return undefined;
  if (lower === 'body') return program === 'gh' && seen.has('secret') ? 'secret-flag' : undefined;
  if (lower === 'value')
    return program === 'aws' && (seen.has('put-parameter') || seen.has('put-secret-value')) ? 'secret-flag' : undefined;
  if (EXTRA_SECRET_FLAGS.has(lower)) return flagKind(lower);
  if (secretAssignmentKind(name, value) !== undefined) return flagKind(lower);
  if ((lower === 'key' || lower === 'k') && looksRandom(value)) return 'high-entropy';
  return undefined;
}

export function scanWords(words: string[]): WordSpan[] {
  const out: WordSpan[] = [];
  let program = basename(words[0] ?? '');
  let rule = PROGRAMS.get(program);
  const seen = new Set<string>();
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const prev = i > 0 ? words[i - 1]! : '';
    const base = basename(w);
    if (i > 0 && PROGRAMS.has(base)) {
      program = base;
      rule = PROGRAMS.get(base);
      seen.clear();
      continue;
    }
    const whole = (kind: string, keep = 0): void => {
      if (w.length > keep) out.push({ word: i, start: keep, end: w.length, kind, keep: 0, priority: 2 });
    };
    // value after a long flag: `--password X`, `-storepass X`, `--user u:p`
    const pm = FLAG.exec(prev);
    if (pm !== null && pm[1]!.length > 1 && !w.startsWith('--')) {
      const name = pm[1]!;
      if (USER_PASS_FLAGS.has(name.toLowerCase()) && program === 'curl') userPass(i, w, 0, ':', out);
      const kind = longFlagKind(name, w, program, seen);
      if (kind !== undefined) whole(kind, w.startsWith('pass:') ? 5 : 0);
    }
    // `--user=u:p` for curl; `--from-literal=key=value` always hides the value
    if (w.startsWith('--user=') && program === 'curl') userPass(i, w, 7, ':', out);
    if (w.startsWith('--from-literal=')) {
      const eq = w.indexOf('=', 15);
      if (eq > 0 && eq < w.length - 1)
        out.push({ word: i, start: eq + 1, end: w.length, kind: 'secret-literal', keep: 0, priority: 2 });
    }
    // `vault kv put path k=v`, `vault write auth/x password=v`
    if (program === 'vault' && (seen.has('put') || seen.has('write') || seen.has('patch')) && !w.startsWith('-')) {
      const eq = w.indexOf('=');
      if (eq > 0 && eq < w.length - 1 && !w.slice(eq + 1).startsWith('@'))
        out.push({ word: i, start: eq + 1, end: w.length, kind: 'secret-literal', keep: 0, priority: 2 });
    }
    // `aws configure set aws_secret_access_key X`, `git config user.password X`
    if (
      i >= 2 &&
      !prev.startsWith('-') &&
      isSecretName(prev) &&
      (seen.has('set') || seen.has('config') || seen.has('configure')) &&
      prev !== w
    ) {
      if (secretAssignmentKind(prev, w) !== undefined) whole(secretAssignmentKind(prev, w)!);
    }
    // `cmd --password-stdin <<< X`: a here-string fed to a command that reads a secret
    if (prev === '<<<' && words.some((x) => SECRET_READER.test(x))) whole('secret-stdin');
    shortFlags(i, w, prev, rule, seen, out);
    if (!w.startsWith('-')) seen.add(w);
  }
  return out;
}

/** Words that say a command reads a secret from stdin. */
export const SECRET_READER =
  /(?:password|passphrase|token|secret|credential)s?(?:-stdin|-file)?$|-stdin$|^--with-token$/i;

/**
 * `echo X | docker login --password-stdin`: the echoed words feed a secret reader in the next
 * command of the pipeline. Returns the word indexes of `words` to hide.
 */
export function echoIntoSecretReader(words: string[], next: string[] | undefined): number[] {
  const prog = basename(words[0] ?? '');
  if ((prog !== 'echo' && prog !== 'printf') || next === undefined) return [];
  if (!next.some((x) => x.startsWith('-') && SECRET_READER.test(x))) return [];
  return words.map((_, i) => i).filter((i) => i > 0 && !words[i]!.startsWith('-'));
}

function shortFlags(
  i: number,
  w: string,
  prev: string,
  rule: ProgramRule | undefined,
  seen: Set<string>,
  out: WordSpan[],
): void {
  if (rule === undefined || (rule.after !== undefined && !seen.has(rule.after))) return;
  // attached: `-pSECRET`
  if (w.length > 2 && w[0] === '-' && w[1] !== '-') {
    const mode = rule.short[w[1]!];
    if (mode === 'both' || mode === 'attached')
      out.push({ word: i, start: 2, end: w.length, kind: 'password-flag', keep: 0, priority: 2 });
    if (mode === 'user:pass') userPass(i, w, 2, ':', out);
    if (mode === 'user%pass') userPass(i, w, 2, '%', out);
  }
  // separate: `-p SECRET` (for mysql `-p X` is really "prompt, database X": hidden anyway, fail closed)
  if (prev.length === 2 && prev[0] === '-' && !(w.startsWith('-') && w.length > 1)) {
    const mode = rule.short[prev[1]!];
    if (mode === 'both') out.push({ word: i, start: 0, end: w.length, kind: 'password-flag', keep: 0, priority: 2 });
    if (mode === 'user:pass') userPass(i, w, 0, ':', out);
    if (mode === 'user%pass') userPass(i, w, 0, '%', out);
  }
}
