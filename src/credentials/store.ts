/**
 * The credential store of enforced mode: secrets the agent's user never holds, released by the
 * daemon's executor into one approved command (src/credentials/executor.ts).
 *
 * Values live in the same kind of store as the ledger key (src/keys): the OS keychain when one
 * answers, else 0600 files in GUARD_HOME/credentials (0700). Each version of a value is its own
 * entry (`credential-NAME-vN`), so a rotation never overwrites in place. The index
 * (GUARD_HOME/credentials/index.json, 0600) keeps what may be shown and recorded: name, kind,
 * target, version and a salted SHA-256 of the value — never the value.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { guardPaths } from '../config/paths.js';
import { UsageError } from '../errors.js';
import { FileKeyStore, KeychainKeyStore, type KeyStore } from '../keys/index.js';

/** `env`: an environment variable; `file`: a file materialised for one run; `mint`: a command that prints a token. */
export type CredentialKind = 'env' | 'file' | 'mint';

export interface CredentialMeta {
  name: string;
  kind: CredentialKind;
  /** The variable (env, mint) or file name (file) the command receives. */
  target: string;
  version: number;
  /** sha256 hex of salt || value: proves which value a run received without revealing it. */
  hash: string;
  salt: string;
  createdAt: string;
  /** mint only: how long a minted token lives, seconds (the mint command is given it). */
  ttlSeconds?: number | undefined;
}

export const CREDENTIAL_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Largest credential value (a kubeconfig or service-account JSON fits easily). */
export const MAX_CREDENTIAL_BYTES = 256 * 1024;

export function checkTarget(kind: CredentialKind, target: string): void {
  const ok = kind === 'file' ? FILE_NAME.test(target) : ENV_NAME.test(target);
  if (!ok)
    throw new UsageError(
      kind === 'file'
        ? `file credential name ${JSON.stringify(target)} must be a plain file name (letters, digits, . _ -)`
        : `environment variable name ${JSON.stringify(target)} is not valid`,
    );
}

export function saltedHash(salt: string, value: Buffer): string {
  return createHash('sha256').update(Buffer.from(salt, 'hex')).update(value).digest('hex');
}

/** The store's secrets: a keychain when one answers (GUARD_KEYSTORE=file forces files), else 0600 files. */
async function openSecrets(env: NodeJS.ProcessEnv, dir: string): Promise<KeyStore> {
  const files = new FileKeyStore(dir);
  if (env['GUARD_KEYSTORE'] !== 'file') {
    try {
      return await KeychainKeyStore.open();
    } catch (err) {
      if (env['GUARD_KEYSTORE'] === 'keychain') throw err;
    }
  }
  files.ensureDir();
  return files;
}

export class CredentialStore {
  private constructor(
    readonly dir: string,
    private readonly secrets: KeyStore,
  ) {}

  static async open(env: NodeJS.ProcessEnv): Promise<CredentialStore> {
    const dir = join(guardPaths(env).home, 'credentials');
    const secrets = await openSecrets(env, dir);
    new FileKeyStore(dir).ensureDir(); // the index lives here even when values are in a keychain
    return new CredentialStore(dir, secrets);
  }

  get kind(): string {
    return this.secrets.kind;
  }

  private indexPath(): string {
    return join(this.dir, 'index.json');
  }

  list(): CredentialMeta[] {
    let text: string;
    try {
      text = readFileSync(this.indexPath(), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return (JSON.parse(text) as { credentials: CredentialMeta[] }).credentials;
  }

  get(name: string): CredentialMeta | undefined {
    return this.list().find((c) => c.name === name);
  }

  private save(all: CredentialMeta[]): void {
    const tmp = `${this.indexPath()}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, `${JSON.stringify({ credentials: all }, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.indexPath());
  }

  private static secretName(name: string, version: number): string {
    return `credential-${name}-v${version}`;
  }

  /** Add a new credential (`rotate: false`) or a new version of an existing one (`rotate: true`). */
  async put(
    name: string,
    kind: CredentialKind,
    target: string,
    value: Buffer,
    rotate: boolean,
    now: Date,
    ttlSeconds?: number,
  ): Promise<CredentialMeta> {
    if (!CREDENTIAL_NAME.test(name))
      throw new UsageError(`credential name ${JSON.stringify(name)}: lower-case letters, digits, . _ - (max 64)`);
    checkTarget(kind, target);
    if (value.length === 0) throw new UsageError('the credential value is empty');
    if (value.length > MAX_CREDENTIAL_BYTES)
      throw new UsageError(`the credential value is larger than ${MAX_CREDENTIAL_BYTES} bytes`);
    if (kind !== 'file' && value.includes(0)) throw new UsageError('an environment credential cannot hold a NUL byte');
    const all = this.list();
    const old = all.find((c) => c.name === name);
    if (old !== undefined && !rotate)
      throw new UsageError(`credential ${name} exists`, { hint: `use \`guard credential rotate ${name}\`` });
    if (old === undefined && rotate)
      throw new UsageError(`no credential ${name}`, { hint: `add it with \`guard credential add ${name}\`` });
    if (old !== undefined && (old.kind !== kind || old.target !== target))
      throw new UsageError(`credential ${name} is ${old.kind} ${old.target}; rotate keeps its kind and target`);
    const version = (old?.version ?? 0) + 1;
    const salt = randomBytes(16).toString('hex');
    await this.secrets.put(CredentialStore.secretName(name, version), value.toString('base64'));
    const meta: CredentialMeta = {
      name,
      kind,
      target,
      version,
      hash: saltedHash(salt, value),
      salt,
      createdAt: now.toISOString(),
      ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
    };
    this.save([...all.filter((c) => c.name !== name), meta].sort((a, b) => a.name.localeCompare(b.name)));
    if (old !== undefined) await this.secrets.delete(CredentialStore.secretName(name, old.version));
    return meta;
  }

  async remove(name: string): Promise<CredentialMeta> {
    const all = this.list();
    const old = all.find((c) => c.name === name);
    if (old === undefined) throw new UsageError(`no credential ${name}`);
    this.save(all.filter((c) => c.name !== name));
    await this.secrets.delete(CredentialStore.secretName(name, old.version));
    return old;
  }

  /** The value of the current version; undefined when the credential or its value is missing. */
  async value(meta: CredentialMeta): Promise<Buffer | undefined> {
    const b64 = await this.secrets.get(CredentialStore.secretName(meta.name, meta.version));
    return b64 === undefined ? undefined : Buffer.from(b64, 'base64');
  }
}

/** What may be shown or recorded of a credential. */
export function publicMeta(m: CredentialMeta): {
  name: string;
  kind: CredentialKind;
  target: string;
  version: number;
  hash: string;
} {
  return { name: m.name, kind: m.kind, target: m.target, version: m.version, hash: m.hash };
}
