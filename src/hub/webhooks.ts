/**
 * Webhook endpoints served by the hub (decision 1071). Outbound, each endpoint is a channel owned
 * by one replica at a time under its own advisory lock (the Slack owner's class): it POSTs each
 * request signed, takes a signed decision inline or from the polled Location, and keeps the
 * Location in PostgreSQL for a takeover. Inbound, any replica takes a callback at
 * POST /v1/webhooks/<name>/callback: signature and timestamp checked with the endpoint's secret,
 * each signature accepted once fleet-wide (kept in PostgreSQL for the replay window), then stored
 * as a hub-signed vote with the identity the daemon's webhook channel gives (`webhook`, the approver).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Pool } from 'pg';
import type { Channel } from '../channels/types.js';
import { BodyTooLargeError, parseJsonObject, readBody } from '../channels/http.js';
import { header, reply } from '../channels/http-listener.js';
import { REPLAY_WINDOW_SECONDS, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../channels/signing.js';
import { parseDecision, type WireDecision } from '../channels/webhook/payload.js';
import { createHash } from 'node:crypto';
import type { ChannelsConfig } from '../channels/config.js';
import { DEFAULT_RETRY } from '../channels/delivery.js';
import { resolveSecret } from '../channels/secrets.js';
import { WebhookChannel } from '../channels/webhook/channel.js';
import { UsageError, messageOf } from '../errors.js';
import { LOCK_WEBHOOK_SPACE } from './migrations.js';
import { HUB_ID } from './slack-owner.js';
import type { HubStore } from './store.js';

export interface HubWebhook {
  name: string;
  secret: string;
  /** Builds the endpoint's channel; `callbackUrl` is where a callback-mode receiver answers. */
  make(callbackUrl: string): Channel;
}

/** The hub's webhook endpoints from `channels.webhooks` (their secrets resolved; one that does not resolve stops the hub). */
export async function hubWebhooks(config: ChannelsConfig, env: NodeJS.ProcessEnv): Promise<HubWebhook[]> {
  const retry =
    config.retry === undefined
      ? DEFAULT_RETRY
      : { attempts: config.retry.attempts, baseMs: config.retry.base_ms, maxMs: config.retry.max_ms };
  const hooks: HubWebhook[] = [];
  for (const w of config.webhooks) {
    const secret = await resolveSecret(w.secret_ref, env).catch((err: unknown) => {
      throw new UsageError(`channels.webhooks ${w.name}: ${messageOf(err)}`);
    });
    hooks.push({
      name: w.name,
      secret,
      make: (callbackUrl) =>
        new WebhookChannel({
          name: w.name,
          url: w.url,
          secret,
          mode: w.mode,
          retry,
          allowInsecureHttp: w.allow_insecure_http ?? false,
          callbackUrl,
          ...(w.poll_interval_seconds === undefined ? {} : { pollIntervalMs: w.poll_interval_seconds * 1000 }),
        }),
    });
  }
  return hooks;
}

/** The endpoint's advisory lock: the hub's webhook space, then 32 bits of the name's hash. */
export function webhookLock(name: string): string {
  const low = createHash('sha256').update(name).digest().readUInt32BE(0);
  return ((BigInt(LOCK_WEBHOOK_SPACE) << 32n) | BigInt(low)).toString();
}

const PATH = /^\/v1\/webhooks\/([a-z0-9][a-z0-9_-]{0,39})\/callback$/;

export const callbackPath = (name: string): string => `/v1/webhooks/${name}/callback`;

export class WebhookCallbacks {
  private readonly secrets: Map<string, string>;

  constructor(
    private readonly store: HubStore,
    private readonly votePem: string,
    hooks: HubWebhook[],
    private readonly log: (level: 'info' | 'warn' | 'error', message: string) => void,
  ) {
    this.secrets = new Map(hooks.map((h) => [h.name, h.secret]));
  }

  owns(path: string): boolean {
    return path.startsWith('/v1/webhooks/');
  }

  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const name = PATH.exec(path)?.[1];
    const secret = name === undefined ? undefined : this.secrets.get(name);
    if (name === undefined || secret === undefined) return reply(res, 404, { error: 'unknown webhook endpoint' });
    if (req.method !== 'POST') return reply(res, 405, { error: 'POST only' });
    let body: string;
    try {
      body = await readBody(req);
    } catch (err) {
      res.setHeader('connection', 'close');
      return reply(res, err instanceof BodyTooLargeError ? 413 : 400, { error: 'body too large or unreadable' });
    }
    const verified = verifySignature(
      secret,
      header(req, TIMESTAMP_HEADER),
      header(req, SIGNATURE_HEADER),
      body,
      Date.now(),
    );
    if (!verified.ok)
      return reply(res, 401, {
        error:
          verified.reason === 'stale' ? `timestamp outside ±${REPLAY_WINDOW_SECONDS}s` : `signature ${verified.reason}`,
      });
    if (!(await firstUse(this.store.pool, verified.signature))) return reply(res, 409, { error: 'replayed callback' });
    let decision: WireDecision;
    try {
      decision = parseDecision(parseJsonObject(body, 'callback body'));
    } catch (err) {
      return reply(res, 400, { error: (err as Error).message });
    }
    const m = HUB_ID.exec(decision.request_id ?? '');
    if (m === null) return reply(res, 400, { error: 'request_id must name a request the hub delivered (rq-…@host)' });
    const refusal = await this.store.addVote(
      m[2]!,
      m[1]!,
      {
        action: decision.action,
        identity: { channel: 'webhook', id: decision.approver, verifiedBy: `hub+webhook:${name}` },
        reason: decision.reason,
        question: decision.question,
      },
      this.votePem,
    );
    this.log(
      refusal === undefined ? 'info' : 'warn',
      `webhook ${name}: ${decision.action} by ${decision.approver} for ${decision.request_id ?? ''}: ${refusal ?? 'recorded as a vote'}`,
    );
    if (refusal !== undefined) return reply(res, 403, { error: refusal });
    reply(res, 200, { ok: true });
  }
}

/** Records a callback signature; false when any replica took it already (inside twice the window). */
async function firstUse(pool: Pool, signature: string): Promise<boolean> {
  await pool.query(`DELETE FROM webhook_callbacks WHERE seen_at < now() - make_interval(secs => $1)`, [
    REPLAY_WINDOW_SECONDS * 2,
  ]);
  const r = await pool.query('INSERT INTO webhook_callbacks (signature) VALUES ($1) ON CONFLICT DO NOTHING', [
    signature,
  ]);
  return r.rowCount === 1;
}
