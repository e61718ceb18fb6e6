/**
 * A throwaway PostgreSQL server from the Debian package's binaries, owned by one test file.
 *
 * Each caller gets its own cluster (initdb in a temp dir, run as the `postgres` OS user, on a
 * loopback port and a private socket directory), so a test can stop, kill and restart it without
 * touching any other test. `.ci/run` installs the package; nothing here needs the system cluster.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Postgres {
  /** Superuser URL (user `postgres`, password below) for the `postgres` database. */
  url: string;
  host: string;
  port: number;
  /** The superuser's password (scram-sha-256; the cluster trusts nobody). */
  password: string;
  /** URL of another database on the same server. */
  urlFor(database: string, user?: string, password?: string): string;
  /** Runs SQL through psql as the superuser; returns stdout (unaligned, tuples only). */
  sql(statement: string, database?: string): string;
  /** Starts the server (again); resolves once it accepts connections. */
  start(): Promise<void>;
  /** Fast shutdown (`pg_ctl stop -m fast`); resolves once the postmaster has exited. */
  stop(): Promise<void>;
  /** SIGKILL of the postmaster and its backends: a crash, not a shutdown. */
  kill(): Promise<void>;
  /** Stops the server and removes its files. */
  destroy(): Promise<void>;
}

/** The directory holding initdb/postgres from the Debian package, or undefined. */
export function postgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(base, versions[0]!, 'bin') : undefined;
}

/** Why a real PostgreSQL cannot run here, or undefined. */
export function postgresSkipReason(): string | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not running as root';
  if (!postgresBinDir()) return 'PostgreSQL is not installed (Debian package `postgresql`)';
  if (spawnSync('id', ['-u', 'postgres']).status !== 0) return 'no `postgres` OS user';
  if (spawnSync('sh', ['-c', 'command -v psql']).status !== 0) return 'no psql';
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

function asPostgres(cmd: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', cmd, ...args], {
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** initdb + start. Call `destroy()` in afterAll. */
export async function startPostgres(): Promise<Postgres> {
  const reason = postgresSkipReason();
  if (reason) throw new Error(`cannot start PostgreSQL: ${reason}`);
  const bin = postgresBinDir()!;
  const dir = mkdtempSync(join(tmpdir(), 'guard-pg-'));
  chmodSync(dir, 0o700);
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  chownSync(dir, uid, gid);
  const data = join(dir, 'data');
  const password = `pg-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  chownSync(pwfile, uid, gid);
  const init = asPostgres(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--pwfile',
    pwfile,
    '-A',
    'scram-sha-256',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  rmSync(pwfile, { force: true });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const port = await freePort();
  const host = '127.0.0.1';
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    if (running()) return;
    const proc = spawn(
      'setpriv',
      [
        '--reuid=postgres',
        '--regid=postgres',
        '--init-groups',
        join(bin, 'postgres'),
        '-D',
        data,
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        `listen_addresses=${host}`,
        '-c',
        'fsync=off',
        '-c',
        'max_connections=200',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' } },
    );
    child = proc;
    let log = '';
    await new Promise<void>((res, rej) => {
      const onData = (c: Buffer): void => {
        log += c.toString();
        if (log.includes('ready to accept connections')) {
          proc.stderr.off('data', onData);
          proc.stderr.resume();
          res();
        }
      };
      proc.stderr.on('data', onData);
      proc.once('exit', (code, sig) => rej(new Error(`postgres exited (${code ?? sig}): ${log}`)));
    });
  };

  const running = (): ChildProcess | undefined =>
    child && child.exitCode === null && child.signalCode === null ? child : undefined;
  const exited = (proc: ChildProcess): Promise<void> =>
    proc.exitCode !== null || proc.signalCode !== null
      ? Promise.resolve()
      : new Promise((res) => proc.once('exit', () => res()));

  const pg: Postgres = {
    url: `postgres://postgres:${encodeURIComponent(password)}@${host}:${port}/postgres`,
    host,
    port,
    password,
    urlFor: (database, user = 'postgres', pw = password) =>
      `postgres://${encodeURIComponent(user)}:${encodeURIComponent(pw)}@${host}:${port}/${encodeURIComponent(database)}`,
    sql(statement, database = 'postgres') {
      const r = spawnSync(
        'psql',
        [
          '-X',
          '-v',
          'ON_ERROR_STOP=1',
          '-At',
          '-h',
          host,
          '-p',
          String(port),
          '-U',
          'postgres',
          '-d',
          database,
          '-c',
          statement,
        ],
        {
          encoding: 'utf8',
          env: { PATH: '/usr/bin:/bin', PGPASSWORD: password, PGCONNECT_TIMEOUT: '30' },
        },
      );
      if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
      return r.stdout;
    },
    start,
    async stop() {
      const proc = running();
      if (!proc) return;
      proc.kill('SIGINT'); // PostgreSQL's "fast" shutdown
      await exited(proc);
    },
    async kill() {
      const proc = running();
      if (!proc?.pid) return;
      // setpriv exec()s the postmaster, so proc.pid is the postmaster; its backends are its children.
      spawnSync('pkill', ['-KILL', '-P', String(proc.pid)]);
      proc.kill('SIGKILL');
      await exited(proc);
      rmSync(join(data, 'postmaster.pid'), { force: true });
    },
    async destroy() {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await start();
  return pg;
}
