/**
 * Does a variable / key / flag name say that its value is a secret?
 * Word-based, so `KEYBOARD`, `TOKENIZERS_PARALLELISM` and `SSH_AUTH_SOCK` stay visible while
 * `GITHUB_TOKEN`, `PGPASSWORD`, `db.password`, `clientSecret` and `_authToken` do not.
 */

/** Words that make a name secret wherever they appear (as a whole word or inside one). */
const STRONG_INFIX = ['PASSWORD', 'PASSWD', 'PASSPHRASE', 'SECRET'];
/** Whole words that make a name secret. */
const STRONG_WORDS = new Set([
  'TOKEN',
  'APIKEY',
  'PWD',
  'PASS',
  'CREDENTIAL',
  'CREDENTIALS',
  'PRIVATEKEY',
  'AUTHTOKEN',
  'ACCESSTOKEN',
  'COOKIE',
  'SESSIONID',
]);
/** The last word makes the name secret (`*_KEY`, `BASIC_AUTH`, `NPM_AUTH`). */
const LAST_WORDS = new Set(['KEY', 'AUTH', 'SIG', 'SIGNATURE', 'DSN']);
/** The value is a reference, not the secret itself. */
const REFERENCE_SUFFIX = new Set([
  'FILE',
  'PATH',
  'DIR',
  'URL',
  'URI',
  'ENDPOINT',
  'ID',
  'NAME',
  'HOST',
  'PORT',
  'USER',
  'USERNAME',
  'TYPE',
  'REGION',
  'EXPIRY',
  'EXPIRES',
  'EXPIRATION',
  'TTL',
  'LENGTH',
  'LEN',
  'SIZE',
  'ENABLED',
  'DISABLED',
  'MODE',
  'FORMAT',
  'VERSION',
  'HEADER',
  'COMMAND',
  'CMD',
  'HELPER',
  'SOCK',
  'SOCKET',
  'LOCATION',
  'ARN',
  'PROVIDER',
  'FINGERPRINT',
  'ALGORITHM',
  'LIFETIME',
  'PREFIX',
  'FIELD',
  'PARAM',
  'KIND',
  'POLICY',
  'STDIN',
  'ENV',
  'VAR',
  'SOURCE',
  'REF',
  'STORE',
  'MANAGER',
]);
/** Exact names that look secret by their words but are not. */
const NOT_SECRET = new Set([
  'PWD',
  'OLDPWD',
  'PUBLIC_KEY',
  'PUB_KEY',
  'SSH_AUTH_SOCK',
  'GPG_KEY',
  'GPG_TTY',
  'KEY',
  'AUTH',
]);

/** Split `fooBar_BAZ-qux.quux` into upper-case words. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter((w) => w !== '');
}

export function isSecretName(name: string): boolean {
  if (name.length === 0 || name.length > 128) return false;
  const upper = name.toUpperCase();
  if (NOT_SECRET.has(upper)) return false;
  const words = nameWords(name);
  const last = words[words.length - 1];
  if (last === undefined || REFERENCE_SUFFIX.has(last)) return false;
  if (words.length >= 2 && words[words.length - 2] === 'PUBLIC' && last === 'KEY') return false;
  if (STRONG_INFIX.some((w) => upper.includes(w))) return true;
  if (words.some((w) => STRONG_WORDS.has(w))) return true;
  // `MYSQL_PWD`, `DB_PASS` as the last word; camel-glued `accessToken` was split above
  return words.length >= 2 && LAST_WORDS.has(last);
}

/** Kind of a finding caused by a secret-looking name. */
export function nameKind(name: string, value: string): string {
  const upper = name.toUpperCase();
  if (upper.includes('SECRET_ACCESS_KEY') || upper.includes('SECRETACCESSKEY')) return 'aws-secret-key';
  if (/^[A-Za-z0-9/+]{40}$/.test(value) && upper.includes('AWS')) return 'aws-secret-key';
  return 'secret-env';
}

const PATH_LIKE = /^(?:~|\.{1,2})?\/[^\s:]*$/;
const ALWAYS_SECRET = /PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN/;

/**
 * Kind of finding for `name=value`, or undefined when the value should stay visible.
 * A file path given to `*_KEY` / `*_CREDENTIALS` (`GOOGLE_APPLICATION_CREDENTIALS=/x.json`)
 * names where a secret is, it is not the secret.
 */
export function secretAssignmentKind(name: string, value: string): string | undefined {
  if (value === '' || !isSecretName(name)) return undefined;
  if (PATH_LIKE.test(value) && !ALWAYS_SECRET.test(name.toUpperCase())) return undefined;
  return nameKind(name, value);
}
