/**
 * Secret references: `env:NAME` (the daemon's environment), `file:/path` (a regular file with
 * mode 0600 or stricter), `keychain:service/account` (OS keychain via @napi-rs/keyring).
 * Error messages name the reference, never the value.
 */
import { readFile, stat } from 'node:fs/promises';
import type * as KeyringModule from '@napi-rs/keyring';
import { FailClosedError } from '../errors.js';

type Keyring = typeof KeyringModule;

function fail(ref: string, why: string, hint: string): never {
  throw new FailClosedError(`secret ${ref}: ${why}`, { hint, details: { ref } });
}

export async function resolveSecret(ref: string, env: NodeJS.ProcessEnv): Promise<string> {
  let value: string;
  if (ref.startsWith('env:')) {
    const name = ref.slice(4);
    value =
      env[name] ??
      fail(
        ref,
        `environment variable ${name} is not set in the daemon's environment`,
        `Export ${name} before starting the daemon.`,
      );
  } else if (ref.startsWith('file:')) {
    const path = ref.slice(5);
    if (!path.startsWith('/')) fail(ref, 'the path must be absolute', 'Use file:/absolute/path.');
    const info = await stat(path).catch(() =>
      fail(ref, 'the file does not exist or cannot be read', `Create it with mode 0600.`),
    );
    if (!info.isFile()) fail(ref, 'not a regular file', 'Point the reference at a regular file.');
    if ((info.mode & 0o077) !== 0)
      fail(
        ref,
        `the file is readable or writable by group/others (mode ${(info.mode & 0o777).toString(8).padStart(4, '0')})`,
        `Run: chmod 600 ${path}`,
      );
    value = (await readFile(path, 'utf8')).replace(/\r?\n$/, '');
  } else if (ref.startsWith('keychain:')) {
    const rest = ref.slice(9);
    const slash = rest.indexOf('/');
    if (slash <= 0 || slash === rest.length - 1)
      fail(ref, 'expected keychain:service/account', 'Use keychain:service/account.');
    let keyring: Keyring;
    try {
      keyring = await import('@napi-rs/keyring');
    } catch {
      fail(ref, 'the OS keychain module could not be loaded', 'Use an env: or file: reference on this machine.');
    }
    let found: string | null;
    try {
      found = new keyring.Entry(rest.slice(0, slash), rest.slice(slash + 1)).getPassword();
    } catch (err) {
      fail(
        ref,
        `the OS keychain is unavailable (${err instanceof Error ? err.message.split('\n')[0] : 'error'})`,
        'Start a secret service, or use an env: or file: reference.',
      );
    }
    value =
      found ??
      fail(ref, 'no such keychain entry', 'Store the secret in the OS keychain under that service and account.');
  } else {
    fail(ref, 'unknown reference kind', 'Use env:NAME, file:/path or keychain:service/account.');
  }
  if (value.trim() === '') fail(ref, 'the secret is empty', 'Store the secret value.');
  return value;
}
