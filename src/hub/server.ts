/**
 * The hub's HTTP service: stateless, any number of replicas against one PostgreSQL.
 *   POST /v1/join           {token, ledgerKey?}   → {host, credential, voteKey}   (one-time token)
 *   PUT  /v1/requests       {view}                → 204   (a host raises or updates its request)
 *   POST /v1/votes/poll     {ack: [vote ids]}     → {votes}   (long poll; a host sees only its own)
 *   GET  /v1/health                               → {ok, slackOwner, teamsOwner, webhookOwner: [per endpoint]}
 *   POST /v1/witness        {checkpoint, proof}   → {cosignature, witnessKey}   (decision 1045)
 *   POST /v1/evidence/head  {}                    → {size}   (records the hub holds for this host)
 *   POST /v1/evidence       {from, records, checkpoint} → {size, cosignature, witnessKey}   (decision 1047)
 * PUT /v1/approvers, GET /v1/fleet/requests, POST /v1/fleet/decisions: src/hub/fleet.ts (decision 1049).
 * POST /v1/webhooks/<name>/callback: a signed webhook decision (src/hub/webhooks.ts, decision 1071).
 * /approve/…: the web approval page, when an IdP is configured (src/hub/web.ts, decision 1068).
 * Hosts authenticate with `Authorization: Bearer <credential>`. Bodies are bounded and validated.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { z } from 'zod';
import type { Channel } from '../channels/types.js';
import { REQUEST_ID_PATTERN } from '../daemon/ids.js';
import { LOCK_TEAMS, migrate } from './migrations.js';
import { deliveryKeeper } from './deliveries.js';
import { callbackPath, webhookLock, WebhookCallbacks, type HubWebhook } from './webhooks.js';
import { SlackOwner } from './slack-owner.js';
import { HubStore, type HostRow } from './store.js';
import { Wakeups } from './wake.js';
import { cosign, witnessKeyOf } from './witness-store.js';
import { evidenceHead, forwardEvidence } from './evidence-store.js';
import { decodeBase64Strict } from '../ledger/b64.js';
import { FleetRoutes, isFleetPath } from './fleet.js';
import { FleetEvents } from './fleet-events.js';
import { startHubWeb, type HubWeb, type HubWebOptions } from './web.js';

const MAX_BODY = 1024 * 1024;
/** A batch of forwarded records (base64) with its checkpoint; the host keeps batches well below it. */
const MAX_EVIDENCE_BODY = 16 * 1024 * 1024;
export const POLL_MS = 20_000;

export interface HubOptions {
  databaseUrl: string;
  host: string;
  port: number;
  /** Builds the Slack channel; absent: this hub runs no channel. */
  makeSlack?: (() => Promise<Channel>) | undefined;
  /** Builds the Teams channel (one replica owns it under its own lock, decision 1070); absent: no Teams. */
  makeTeams?: (() => Promise<Channel>) | undefined;
  /** Webhook endpoints, each owned by one replica; their callbacks are taken by any (decision 1071). */
  webhooks?: HubWebhook[] | undefined;
  /** The hub's URL as receivers reach it (callback_url); default: the address it listens on. */
  publicUrl?: string | undefined;
  /** Serves the web approval page under /approve, signing in with this IdP; absent: no page. */
  web?: HubWebOptions | undefined;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export interface Hub {
  url: string;
  server: Server;
  stop(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const joinBody = z.object({ token: z.string().min(1).max(200), ledgerKey: z.string().max(4096).optional() }).strict();
const viewBody = z
  .object({
    view: z
      .object({
        id: z.string().regex(REQUEST_ID_PATTERN),
        state: z.enum(['pending', 'needs_info', 'approved', 'denied', 'expired', 'cancelled', 'revoked']),
      })
      .passthrough(),
  })
  .strict();
const witnessBody = z
  .object({ checkpoint: z.string().max(16384), proof: z.array(z.string().max(64)).max(128) })
  .strict();
const evidenceBody = z
  .object({
    from: z.number().int().min(1),
    records: z
      .array(z.string().max(4 * 1024 * 1024))
      .min(1)
      .max(100_000),
    checkpoint: z.string().max(16384),
  })
  .strict();
const pollBody = z.object({ ack: z.array(z.string().regex(/^[0-9]{1,19}$/)).max(1000) }).strict();

async function readJson(req: IncomingMessage, max = MAX_BODY): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > max) throw new HttpError(413, 'body too large');
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new HttpError(400, `invalid body: ${r.error.issues[0]?.message ?? 'invalid'}`);
  return r.data;
}

export async function startHub(opts: HubOptions): Promise<Hub> {
  const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10 });
  // an idle client's error (PostgreSQL went away) must not crash the process: the next query fails
  pool.on('error', (e) => opts.log('warn', `database connection lost: ${e.message}`));
  const applied = await migrate(pool);
  if (applied.length > 0) opts.log('info', `applied migrations ${applied.join(', ')}`);
  const store = new HubStore(pool);
  const key = await store.voteKey();
  const witness = await witnessKeyOf(pool);
  const wake = new Wakeups(opts.databaseUrl, 'guard_votes', (m) => opts.log('warn', m));
  await wake.start();
  const owner =
    opts.makeSlack === undefined
      ? undefined
      : new SlackOwner({
          url: opts.databaseUrl,
          store,
          votePem: key.privatePem,
          makeChannel: opts.makeSlack,
          log: opts.log,
        });
  owner?.start();
  const teams =
    opts.makeTeams === undefined
      ? undefined
      : new SlackOwner({
          url: opts.databaseUrl,
          store,
          votePem: key.privatePem,
          makeChannel: opts.makeTeams,
          log: opts.log,
          lock: LOCK_TEAMS,
          label: 'Teams',
          keeper: deliveryKeeper('teams'),
        });
  teams?.start();
  // requests changed: wakes the approvers' event streams (decision 1076)
  const changes = new Wakeups(opts.databaseUrl, 'guard_requests', (m) => opts.log('warn', m));
  await changes.start();
  const fleet = new FleetRoutes(store, key.privatePem, opts.log, new FleetEvents(store, changes));
  const callbacks = new WebhookCallbacks(store, key.privatePem, opts.webhooks ?? [], opts.log);
  let web: HubWeb | undefined;

  const authenticate = async (req: IncomingMessage): Promise<HostRow> => {
    const auth = req.headers.authorization;
    const host = auth?.startsWith('Bearer ') === true ? await store.authenticate(auth.slice(7)) : undefined;
    if (host === undefined) throw new HttpError(401, 'unknown or revoked host credential');
    return host;
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<unknown> => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== undefined && isFleetPath(path)) return void (await fleet.handle(req, res, path));
    if (path !== undefined && callbacks.owns(path)) return void (await callbacks.handle(req, res, path));
    if (path !== undefined && web?.owns(path) === true) return void (await web.serve(req, res));
    if (req.method === 'GET' && path === '/v1/health')
      return {
        ok: true,
        slackOwner: owner?.owner ?? false,
        teamsOwner: teams?.owner ?? false,
        webhookOwner: hooks.map((h) => h.owner),
      };
    if (req.method === 'POST' && path === '/v1/join') {
      const body = parse(joinBody, await readJson(req));
      const r = await store.redeem(body.token, body.ledgerKey);
      if (r === undefined) throw new HttpError(403, 'this enrolment token is unknown or already used');
      opts.log('info', `host ${r.host.name} enrolled as ${r.host.id}`);
      return { host: r.host, credential: r.credential, voteKey: key.publicKey };
    }
    if (req.method === 'PUT' && path === '/v1/requests') {
      const host = await authenticate(req);
      const body = parse(viewBody, await readJson(req));
      await store.putRequest(host, body.view as never);
      res.writeHead(204).end();
      return undefined;
    }
    if (req.method === 'POST' && path === '/v1/witness') {
      const host = await authenticate(req);
      const body = parse(witnessBody, await readJson(req));
      const r = await cosign(pool, witness, host, body.checkpoint, body.proof, BigInt(Math.floor(Date.now() / 1000)));
      if (!r.ok) {
        if (r.flagged) opts.log('warn', `host ${host.name} flagged by the witness: ${r.reason}`);
        throw new HttpError(r.status, r.reason);
      }
      return { cosignature: r.cosignature, witnessKey: witness.vkey };
    }
    if (req.method === 'POST' && path === '/v1/evidence/head') {
      const host = await authenticate(req);
      return { size: await evidenceHead(pool, host) };
    }
    if (req.method === 'POST' && path === '/v1/evidence') {
      const host = await authenticate(req);
      const body = parse(evidenceBody, await readJson(req, MAX_EVIDENCE_BODY));
      const records = body.records.map((r) => decodeBase64Strict(r));
      if (records.some((r) => r === undefined)) throw new HttpError(400, 'a record is not base64');
      const now = BigInt(Math.floor(Date.now() / 1000));
      const r = await forwardEvidence(pool, witness, host, body.from, records as Buffer[], body.checkpoint, now);
      if (!r.ok) {
        if (r.flagged) opts.log('warn', `host ${host.name} flagged by the witness: ${r.reason}`);
        throw new HttpError(r.status, r.reason);
      }
      return { size: r.size, cosignature: r.cosignature, witnessKey: witness.vkey };
    }
    if (req.method === 'POST' && path === '/v1/votes/poll') {
      const host = await authenticate(req);
      const body = parse(pollBody, await readJson(req));
      let ack = body.ack;
      const until = Date.now() + POLL_MS;
      // a poll the host gave up on stops reading (and leasing) at once: nobody would get its votes
      let closed = false;
      let stopWaiting = (): void => undefined;
      res.on('close', () => {
        closed = true;
        stopWaiting();
      });
      for (let fresh = true; ; fresh = false) {
        if (closed) return undefined;
        // registered before the read: a vote added between the read and the wait still wakes us
        const w = wake.wait(host.id, Math.max(0, until - Date.now()));
        stopWaiting = w.cancel;
        const poll = await store.pollVotes(host, ack, fresh);
        ack = [];
        if (poll.votes.length > 0 || Date.now() >= until || closed) {
          w.cancel();
          if (!closed) return { votes: poll.votes };
          if (poll.votes.length > 0)
            await store.releaseVotes(
              host,
              poll.votes.map((v) => v.id),
            );
          return undefined;
        }
        // a vote leased by a poll still running elsewhere: read again when its lease ends
        if (poll.leaseEndsInMs !== undefined) {
          const t = setTimeout(w.cancel, poll.leaseEndsInMs + 50);
          await w.promise;
          clearTimeout(t);
        } else await w.promise;
      }
    }
    throw new HttpError(404, `no route ${req.method ?? ''} ${path ?? ''}`);
  };

  const server = createServer((req, res) => {
    route(req, res)
      .then((body) => {
        if (body === undefined) return;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      })
      .catch((err: unknown) => {
        const status = err instanceof HttpError ? err.status : 503;
        const message = err instanceof HttpError ? err.message : 'the hub cannot reach its database';
        if (!(err instanceof HttpError))
          opts.log('error', `${req.method ?? ''} ${req.url ?? ''}: ${(err as Error).message}`);
        if (res.headersSent) return void res.end();
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: message }));
      });
  });
  // An idle connection is closed by the client (Node's fetch: after 4 s) long before the hub would
  // close it. A server that closes first races a client reusing the connection, whose call then
  // fails with no answer ("fetch failed") although the hub is up.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;
  const base = (opts.publicUrl ?? url).replace(/\/+$/, '');
  const hooks = (opts.webhooks ?? []).map(
    (h) =>
      new SlackOwner({
        url: opts.databaseUrl,
        store,
        votePem: key.privatePem,
        makeChannel: () => Promise.resolve(h.make(`${base}${callbackPath(h.name)}`)),
        log: opts.log,
        lock: webhookLock(h.name),
        label: `webhook ${h.name}`,
        keeper: deliveryKeeper(`webhook:${h.name}`),
      }),
  );
  for (const h of hooks) h.start();
  if (opts.web !== undefined) web = await startHubWeb(store, key.privatePem, opts.web, () => url, opts.log);
  return {
    url,
    server,
    async stop() {
      server.close();
      server.closeAllConnections();
      await web?.stop();
      await owner?.stop();
      await teams?.stop();
      for (const h of hooks) await h.stop();
      await wake.stop();
      await changes.stop();
      await pool.end().catch(() => undefined);
    },
  };
}
