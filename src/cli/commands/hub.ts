/** `guard hub start | enroll-host | join` (docs/hub.md). */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { guardPaths } from '../../config/paths.js';
import { UsageError } from '../../errors.js';
import type { HubStore } from '../../hub/store.js';
import { writeLine, type Io } from '../io.js';
import type {
  HubDatabaseOptions,
  HubEnrollHostOptions,
  HubExportOptions,
  HubHostsOptions,
  HubJoinOptions,
  HubStartOptions,
} from '../specs/hub.js';

function databaseUrl(io: Io, opts: HubDatabaseOptions): string {
  const url = opts.database ?? io.env['GUARD_HUB_DATABASE_URL'];
  if (url === undefined || !/^postgres(ql)?:\/\//.test(url))
    throw new UsageError('a PostgreSQL URL is needed: --database postgres://… or GUARD_HUB_DATABASE_URL');
  return url;
}

function listenAddress(text: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(text);
  const port = Number(m?.[2]);
  if (m === null || port > 65_535) throw new UsageError(`--listen ${text}: expected HOST:PORT`);
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

/** How long a sign-in on the hub's web page lasts. */
const WEB_SESSION_MINUTES = 60;

export async function hubStart(io: Io, opts: HubStartOptions): Promise<number> {
  const url = databaseUrl(io, opts);
  const listen = listenAddress(opts.listen);
  const configFile = opts.config;
  const { startHub } = await import('../../hub/server.js');
  let makeSlack;
  let makeTeams;
  let webhooks;
  let web;
  if (configFile !== undefined) {
    const { loadChannelsConfig, createChannels } = await import('../../channels/index.js');
    const text = readFileSync(configFile, 'utf8');
    const config = loadChannelsConfig(text, configFile, true);
    // an identity: section serves the web approval page (decision 1068)
    const { loadIdentityConfig } = await import('../../identity/config.js');
    const identity = loadIdentityConfig(text, configFile);
    if (config.slack === undefined && config.teams === undefined && config.webhooks.length === 0 && !identity)
      throw new UsageError(
        `${configFile}: the hub serves channels.slack, channels.teams, channels.webhooks and the web page (identity:), and there is none`,
      );
    if (config.slack !== undefined)
      makeSlack = async () => {
        const [slack] = await createChannels({ slack: config.slack, retry: config.retry, webhooks: [] }, io.env);
        return slack!;
      };
    if (config.teams !== undefined)
      makeTeams = async () => {
        const [teams] = await createChannels({ teams: config.teams, retry: config.retry, webhooks: [] }, io.env);
        return teams!;
      };
    // webhooks (decision 1071): secrets resolved now, so a missing one stops the hub with a clear error
    const { hubWebhooks } = await import('../../hub/webhooks.js');
    webhooks = await hubWebhooks(config, io.env);
    if (opts.publicUrl !== undefined && !URL.canParse(opts.publicUrl))
      throw new UsageError(`--public-url ${opts.publicUrl}: expected an http(s) URL`);
    if (identity !== undefined)
      web = {
        identity: { cfg: identity, home: guardPaths(io.env).home },
        sessionMinutes: WEB_SESSION_MINUTES,
        publicUrl: opts.publicUrl,
      };
  }
  const log = (level: string, message: string): void =>
    writeLine(io.stderr, `${new Date().toISOString()} guard hub: ${level}: ${message}`);
  const hub = await startHub({
    databaseUrl: url,
    host: listen.host,
    port: listen.port,
    makeSlack,
    makeTeams,
    webhooks,
    publicUrl: opts.publicUrl,
    web,
    log,
  });
  writeLine(io.stderr, `guard hub: listening on ${hub.url}`);
  await new Promise<void>((resolve) => {
    const done = (): void => {
      process.off('SIGTERM', done);
      process.off('SIGINT', done);
      resolve();
    };
    process.on('SIGTERM', done);
    process.on('SIGINT', done);
  });
  await hub.stop();
  return 0;
}

/** Runs fn against the hub's database (migrated first, so an admin may act before any hub ran). */
async function withStore<T>(io: Io, opts: HubDatabaseOptions, fn: (store: HubStore) => Promise<T>): Promise<T> {
  const pg = (await import('pg')).default;
  const { migrate } = await import('../../hub/migrations.js');
  const { HubStore } = await import('../../hub/store.js');
  const pool = new pg.Pool({ connectionString: databaseUrl(io, opts), max: 1 });
  try {
    await migrate(pool);
    return await fn(new HubStore(pool));
  } finally {
    await pool.end();
  }
}

export async function hubHosts(io: Io, opts: HubHostsOptions): Promise<number> {
  const hosts = await withStore(io, opts, (store) => store.hosts());
  if (opts.json === true) writeLine(io.stdout, JSON.stringify(hosts));
  else
    for (const h of hosts)
      writeLine(
        io.stdout,
        `${h.name}\t${h.id}\tlast seen ${h.lastSeen ?? 'never'}\t${h.open} open${h.flagged === null ? '' : `\tFLAGGED: ${h.flagged}`}`,
      );
  return 0;
}

export async function hubEnrollHost(io: Io, opts: HubEnrollHostOptions): Promise<number> {
  return withStore(io, opts, async (store) => {
    const token = await store.mintToken(opts.name).catch((err: unknown) => {
      throw new UsageError((err as Error).message);
    });
    writeLine(io.stdout, token);
    writeLine(
      io.stderr,
      `guard hub: one-time token for host ${String(opts.name)}; on that host: guard hub join --hub URL --token-file FILE`,
    );
    return 0;
  });
}

export async function hubJoin(io: Io, opts: HubJoinOptions): Promise<number> {
  const paths = guardPaths(io.env);
  const hub = opts.hub.replace(/\/+$/, '');
  const token = readFileSync(opts.tokenFile, 'utf8').trim();
  const keyFile = opts.ledgerKey ?? join(paths.home, 'ledger.pub');
  const ledgerKey = existsSync(keyFile) ? readFileSync(keyFile, 'utf8') : undefined;
  const res = await fetch(`${hub}/v1/join`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ledgerKey === undefined ? { token } : { token, ledgerKey }),
  });
  const body = (await res.json().catch(() => ({}))) as {
    error?: string;
    credential?: string;
    voteKey?: string;
    host?: { id: string; name: string };
  };
  if (!res.ok || body.credential === undefined || body.voteKey === undefined)
    throw new UsageError(`the hub refused to enrol this host: ${body.error ?? `HTTP ${res.status}`}`);
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  const credFile = join(paths.home, 'hub.credential');
  writeFileSync(credFile, `${body.credential}\n`, { mode: 0o600 });
  writeLine(io.stderr, `guard hub: enrolled as ${body.host?.name ?? '?'}; credential in ${credFile}`);
  writeLine(io.stdout, `hub:\n  url: ${hub}\n  credential_ref: file:${credFile}\n  vote_key: ${body.voteKey}`);
  return 0;
}

export async function hubExport(io: Io, opts: HubExportOptions): Promise<number> {
  const { parsePeriod } = await import('./evidence-pack.js');
  const { writeFileAtomic } = await import('./ledger-export.js');
  const { exportHostBundle } = await import('../../hub/export.js');
  const { from, to } = parsePeriod(String(opts.period));
  const host = String(opts.host);
  const out = String(opts.out);
  const r = await withStore(io, opts, (store) =>
    exportHostBundle(store.pool, host, from, to).catch((err: unknown) => {
      throw new UsageError((err as Error).message, {
        hint: 'see `guard hub hosts`; docs/hub.md (evidence forwarding)',
      });
    }),
  );
  writeFileAtomic(out, r.bundle);
  if (opts.json === true)
    writeLine(
      io.stdout,
      JSON.stringify({
        file: out,
        host,
        origin: r.origin,
        size: r.size,
        inPeriod: r.inPeriod,
        notCoveredAfter: r.notCoveredAfter ?? null,
      }),
    );
  else {
    writeLine(io.stdout, `wrote ${out}: ${r.size} records of ${r.origin} (host ${host}), ${r.inPeriod} in the period`);
    writeLine(io.stdout, `verify with: guard ledger verify ${out} --pubkey HOST-PINNED-KEY-FILE`);
  }
  if (r.notCoveredAfter !== undefined)
    writeLine(
      io.stderr,
      `guard hub: the period ends after the last record the hub holds of ${host} (${r.notCoveredAfter}); later records are not forwarded yet`,
    );
  return 0;
}
