/**
 * The hub's fleet routes for approvers (`guard tui --hub`, decision 1049):
 *   PUT  /v1/approvers        {approvers: [{name, publicKey}]}   (a host, bearer credential) → 204
 *   GET  /v1/fleet/requests                       (an approver, signed) → {requests: [{host, view}]}
 *   POST /v1/fleet/decisions  {host, signed}      (an approver, signed) → {vote}
 *   POST /v1/fleet/session                        (an approver, signed) → {token, expiresAt}
 *   GET  /v1/fleet/events                         (an approver) → text/event-stream of `changed` (fleet-events.ts)
 *   GET  /v1/fleet/grants                         (an approver) → {grants: [{host, view, grant}]}   (decision 1103)
 *   POST /v1/fleet/grants     {host, requestId, action, from?, to?}   (an approver) → {relayed: true}
 * A session token (`Authorization: Bearer ghs_…`, 8 hours) stands for the signature on later
 * calls, so the TUI needs the approver key unlocked once to log in, not for every read.
 * An approver is known by a public key that an enrolled host distributed as one of its approvers,
 * and sees the open requests of exactly those hosts. A decision is relayed as a vote carrying the
 * approver-signed statement; the host's daemon checks that signature against its own registry, so
 * the hub cannot approve anything by itself.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { signedDecisionSchema } from '../approval/schema.js';
import type { SignedDecision } from '../approval/types.js';
import { checkApproverHeaders } from './approver-auth.js';
import type { FleetEvents } from './fleet-events.js';
import type { HostRow, HubStore } from './store.js';
import { signVote, type VoteBody } from './vote.js';
import { addGrantAction, liveGrantsWhere } from './grants.js';
import { REQUEST_ID_PATTERN } from '../daemon/ids.js';

const MAX_BODY = 256 * 1024;

const approversBody = z
  .object({
    approvers: z
      .array(
        z
          .object({
            name: z.string().min(1).max(64),
            publicKey: z.string().min(1).max(100),
            // the IdP identity the approver enrolled with: the hub's web page lists requests by it
            idp: z
              .object({ subject: z.string().min(1).max(256), issuer: z.string().min(1).max(512) })
              .strict()
              .optional(),
          })
          .strict(),
      )
      .max(1000),
  })
  .strict();
const decisionBody = z.object({ host: z.string().min(1).max(63), signed: signedDecisionSchema }).strict();
const grantBody = z
  .object({
    host: z.string().min(1).max(63),
    requestId: z.string().regex(REQUEST_ID_PATTERN),
    action: z.enum(['extend', 'revoke']),
    from: z.unknown().optional(),
    to: z.unknown().optional(),
  })
  .strict();

/** The hosts that enrolled the approver key $1 (on `r`). */
const BY_KEY = 'EXISTS (SELECT 1 FROM host_approvers a WHERE a.host_id = r.host_id AND a.public_key = $1)';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

class FleetError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new FleetError(413, 'body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parse<T>(schema: z.ZodType<T>, text: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    throw new FleetError(400, 'body is not JSON');
  }
  const r = schema.safeParse(value);
  if (!r.success) throw new FleetError(400, `invalid body: ${r.error.issues[0]?.message ?? 'invalid'}`);
  return r.data;
}

export function isFleetPath(path: string): boolean {
  return path === '/v1/approvers' || path.startsWith('/v1/fleet/');
}

export class FleetRoutes {
  constructor(
    private readonly store: HubStore,
    private readonly votePem: string,
    private readonly log: (level: 'info' | 'warn' | 'error', message: string) => void,
    private readonly events?: FleetEvents,
  ) {}

  /** Answers one fleet request (writes the response itself). */
  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    let status = 200;
    let body: unknown;
    try {
      body = await this.route(req, path, res);
      if (body === undefined) status = 204;
    } catch (err) {
      status = err instanceof FleetError ? err.status : 503;
      if (!(err instanceof FleetError)) this.log('error', `${req.method ?? ''} ${path}: ${(err as Error).message}`);
      body = { error: err instanceof FleetError ? err.message : 'the hub cannot reach its database' };
    }
    if (res.headersSent) return void res.end();
    if (status === 204) return void res.writeHead(204).end();
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private async route(req: IncomingMessage, path: string, res: ServerResponse): Promise<unknown> {
    const text = await readText(req);
    if (req.method === 'PUT' && path === '/v1/approvers') {
      const auth = req.headers.authorization;
      const host = auth?.startsWith('Bearer ') === true ? await this.store.authenticate(auth.slice(7)) : undefined;
      if (host === undefined) throw new FleetError(401, 'unknown or revoked host credential');
      await this.putApprovers(host, parse(approversBody, text).approvers);
      return undefined;
    }
    const key = await this.approver(req, path, text);
    if (req.method === 'POST' && path === '/v1/fleet/session') {
      if (req.headers.authorization !== undefined) throw new FleetError(401, 'a session is opened with a signature');
      const token = `ghs_${randomBytes(32).toString('base64url')}`;
      const r = await this.store.pool.query<{ expires_at: Date }>(
        `INSERT INTO approver_sessions (token_sha256, public_key, expires_at)
         VALUES ($1, $2, now() + interval '8 hours') RETURNING expires_at`,
        [sha256(token), key],
      );
      return { token, expiresAt: r.rows[0]!.expires_at.toISOString() };
    }
    if (req.method === 'GET' && path === '/v1/fleet/requests') return { requests: await this.requests(key) };
    if (req.method === 'GET' && path === '/v1/fleet/events' && this.events !== undefined)
      return void (await this.events.stream(key, res));
    if (req.method === 'GET' && path === '/v1/fleet/grants') return { grants: await this.grants(key) };
    if (req.method === 'POST' && path === '/v1/fleet/grants') return this.changeGrant(key, parse(grantBody, text));
    if (req.method === 'POST' && path === '/v1/fleet/decisions') {
      const d = parse(decisionBody, text);
      return { vote: await this.relay(key, d.host, d.signed) };
    }
    throw new FleetError(404, `no route ${req.method ?? ''} ${path}`);
  }

  /** The approver's public key, when its signature verifies and some host distributed it. */
  private async approver(req: IncomingMessage, path: string, text: string): Promise<string> {
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      const m = /^Bearer (ghs_[A-Za-z0-9_-]{43})$/.exec(auth);
      const r =
        m === null
          ? undefined
          : await this.store.pool.query<{ public_key: string }>(
              `SELECT s.public_key FROM approver_sessions s WHERE s.token_sha256 = $1 AND s.expires_at > now()
                 AND EXISTS (SELECT 1 FROM host_approvers a WHERE a.public_key = s.public_key)`,
              [sha256(m[1]!)],
            );
      const key = r?.rows[0]?.public_key;
      if (key === undefined) throw new FleetError(401, 'unknown or expired approver session');
      return key;
    }
    const c = checkApproverHeaders(req.headers, req.method ?? '', path, text, Date.now());
    if ('refused' in c) throw new FleetError(401, c.refused);
    const known = await this.store.pool.query('SELECT 1 FROM host_approvers WHERE public_key = $1 LIMIT 1', [
      c.publicKey,
    ]);
    if (known.rowCount === 0) throw new FleetError(403, 'this approver key is not enrolled on any host of the hub');
    return c.publicKey;
  }

  private async putApprovers(host: HostRow, approvers: z.infer<typeof approversBody>['approvers']): Promise<void> {
    await this.store.tx(async (client) => {
      await client.query('DELETE FROM host_approvers WHERE host_id = $1', [host.id]);
      for (const a of approvers)
        await client.query(
          `INSERT INTO host_approvers (host_id, name, public_key, idp_subject, idp_issuer)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
          [host.id, a.name, a.publicKey, a.idp?.subject ?? null, a.idp?.issuer ?? null],
        );
    });
  }

  /** Open requests of the hosts that enrolled this approver key, oldest first. */
  private async requests(key: string): Promise<{ host: string; view: unknown }[]> {
    const r = await this.store.pool.query<{ name: string; view: unknown }>(
      `SELECT h.name, r.view FROM requests r JOIN hosts h ON h.id = r.host_id
       WHERE r.state IN ('pending', 'needs_info') AND ${BY_KEY}
       ORDER BY r.rev LIMIT 1000`,
      [key],
    );
    return r.rows.map((x) => ({ host: x.name, view: x.view }));
  }

  /** Live grants of the hosts that enrolled this approver key, oldest first (decision 1103). */
  private async grants(key: string): Promise<{ host: string; view: unknown; grant: unknown }[]> {
    const live = await liveGrantsWhere(this.store, BY_KEY, [key]);
    return live.map((g) => ({ host: g.hostName, view: g.view, grant: g.grant }));
  }

  /**
   * An extension or revocation by an approver the hub knows by its key: a hub-signed grant action
   * naming the approver as the host enrolled it (`hub-approver`, verified by the key); the host
   * applies it as its own Slack's and records it (decision 1103).
   */
  private async changeGrant(key: string, g: z.infer<typeof grantBody>): Promise<{ relayed: true }> {
    const row = (
      await this.store.pool.query<{ name: string }>(
        `SELECT a.name FROM host_approvers a JOIN hosts h ON h.id = a.host_id WHERE h.name = $1 AND a.public_key = $2`,
        [g.host, key],
      )
    ).rows[0];
    if (row === undefined) throw new FleetError(404, `host ${g.host} lists no approver with this key`);
    const refusal = await addGrantAction(
      this.store,
      {
        hostName: g.host,
        requestId: g.requestId,
        action: g.action,
        identity: { channel: 'hub-approver', id: row.name, verifiedBy: `hub+key:${key}` },
        ...(g.action === 'extend' ? { from: g.from ?? null, to: g.to ?? null } : {}),
      },
      this.votePem,
    );
    if (refusal !== undefined) throw new FleetError(409, refusal);
    this.log('info', `relayed ${g.action} of ${g.requestId} by ${row.name} to host ${g.host}`);
    return { relayed: true };
  }

  /** Stores the signed decision as a vote for its host (which checks it); wakes that host. */
  private async relay(key: string, hostName: string, signed: SignedDecision): Promise<string> {
    const id = await this.store.tx(async (client) => {
      const row = (
        await client.query<{ host_id: string }>(
          `SELECT r.host_id FROM requests r JOIN hosts h ON h.id = r.host_id
           JOIN host_approvers a ON a.host_id = r.host_id AND a.public_key = $3 AND a.name = $4
           WHERE h.name = $1 AND r.request_id = $2 AND r.state IN ('pending', 'needs_info')`,
          [hostName, signed.requestId, key, signed.approver],
        )
      ).rows[0];
      if (row === undefined)
        throw new FleetError(
          404,
          `no open request ${signed.requestId} of host ${hostName} for approver ${signed.approver}`,
        );
      const vote = (await client.query<{ id: string }>(`SELECT nextval('votes_id_seq')::text AS id`)).rows[0]!.id;
      const body = JSON.parse(
        JSON.stringify({
          v: 1,
          vote,
          host: row.host_id,
          requestId: signed.requestId,
          action: signed.action,
          identity: { channel: 'hub-approver', id: signed.approver },
          signed,
          at: new Date().toISOString(),
        }),
      ) as VoteBody;
      await client.query('INSERT INTO votes (id, host_id, request_id, body, signature) VALUES ($1, $2, $3, $4, $5)', [
        vote,
        row.host_id,
        signed.requestId,
        JSON.stringify(body),
        signVote(body, this.votePem),
      ]);
      await client.query(`SELECT pg_notify('guard_votes', $1)`, [row.host_id]);
      return vote;
    });
    this.log('info', `relayed ${signed.action} of ${signed.requestId} by ${signed.approver} to host ${hostName}`);
    return id;
  }
}
