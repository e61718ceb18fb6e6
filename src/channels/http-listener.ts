/**
 * The daemon's optional HTTP listener for signed webhook callbacks. Off by default; binds where
 * configured (127.0.0.1 unless told otherwise). One route: POST /v1/callbacks/<endpoint>, signed
 * with that endpoint's secret; replay window ±300 s; each signature accepted once; body ≤ 64 KiB.
 *
 * The body is a decision on an open request, or an extend / revoke of a live grant (decision 1107).
 * Answers: 200 {ok:true} accepted · 400 bad JSON/decision/action · 401 bad/stale signature · 403 refused
 * by the daemon {error} · 404 unknown endpoint · 405 · 409 replay · 413 too large · 503 replay cache full.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BodyTooLargeError, MAX_BODY_BYTES, parseJsonObject, readBody } from './http.js';
import { REPLAY_WINDOW_SECONDS, ReplayCache, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from './signing.js';
import { parseCallback, type WireCallback } from './webhook/payload.js';

export interface CallbackEndpoint {
  secret: string;
  /** A decision on an open request or an action on a live grant (decision 1107): null when accepted, or the refusal text. */
  onDecision(callback: WireCallback & { request_id: string }): Promise<string | null>;
}

/** A page mounted under a path prefix (the web approval page); it answers every request under it. */
export type PageHandler = (req: IncomingMessage, res: ServerResponse, base: string) => Promise<void>;

export interface HttpListenerOptions {
  bind: string;
  port: number;
  /** Base URL receivers should call when the listener sits behind a proxy or tunnel. */
  publicUrl?: string | undefined;
  now?: () => number;
  maxBodyBytes?: number;
}

export class HttpListener {
  private server: Server | undefined;
  private starting: Promise<void> | undefined;
  private readonly endpoints = new Map<string, CallbackEndpoint>();
  private readonly pages = new Map<string, PageHandler>();
  private readonly replay = new ReplayCache();
  private readonly now: () => number;

  constructor(private readonly opts: HttpListenerOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Registers an endpoint and starts listening on first use. */
  async register(name: string, endpoint: CallbackEndpoint): Promise<void> {
    this.endpoints.set(name, endpoint);
    this.starting ??= this.listen();
    await this.starting;
  }

  /** Mounts a page under `prefix` (`/approve`) and starts listening on first use. */
  async mount(prefix: string, handler: PageHandler): Promise<void> {
    this.pages.set(prefix, handler);
    this.starting ??= this.listen();
    await this.starting;
  }

  async unmount(prefix: string): Promise<void> {
    this.pages.delete(prefix);
    await this.unregister('');
  }

  /** Unregisters; the last one out closes the server. */
  async unregister(name: string): Promise<void> {
    this.endpoints.delete(name);
    if (this.endpoints.size > 0 || this.pages.size > 0 || this.server === undefined) return;
    const server = this.server;
    this.server = undefined;
    this.starting = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  callbackUrl(name: string): string | undefined {
    const base = this.baseUrl();
    return base === undefined ? undefined : `${base}/v1/callbacks/${encodeURIComponent(name)}`;
  }

  /** The public base URL (no trailing slash), or undefined while not listening. */
  baseUrl(): string | undefined {
    if (this.server === undefined) return undefined;
    if (this.opts.publicUrl !== undefined) return this.opts.publicUrl.replace(/\/$/, '');
    const { port } = this.server.address() as AddressInfo;
    const host = this.opts.bind.includes(':') ? `[${this.opts.bind}]` : this.opts.bind;
    return `http://${host}:${port}`;
  }

  private listen(): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => reply(res, 500, { error: 'internal error' }));
    });
    server.requestTimeout = 10_000;
    server.headersTimeout = 10_000;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.bind, () => {
        server.off('error', reject);
        this.server = server;
        resolve();
      });
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0]!;
    for (const [prefix, page] of this.pages)
      if (path === prefix || path.startsWith(`${prefix}/`)) return page(req, res, this.baseUrl()!);
    const match = /^\/v1\/callbacks\/([^/?]+)$/.exec(req.url ?? '');
    if (match?.[1] === undefined) return reply(res, 404, { error: 'unknown path' });
    if (req.method !== 'POST') return reply(res, 405, { error: 'POST only' });
    const endpoint = this.endpoints.get(decodeURIComponent(match[1]));
    if (endpoint === undefined) return reply(res, 404, { error: 'unknown endpoint' });
    let body: string;
    try {
      body = await readBody(req, this.opts.maxBodyBytes ?? MAX_BODY_BYTES);
    } catch (err) {
      res.setHeader('connection', 'close');
      if (err instanceof BodyTooLargeError) return reply(res, 413, { error: err.message });
      return reply(res, 400, { error: 'could not read body' });
    }
    const now = this.now();
    const verified = verifySignature(
      endpoint.secret,
      header(req, TIMESTAMP_HEADER),
      header(req, SIGNATURE_HEADER),
      body,
      now,
    );
    if (!verified.ok) {
      const why =
        verified.reason === 'stale' ? `timestamp outside ±${REPLAY_WINDOW_SECONDS}s` : `signature ${verified.reason}`;
      return reply(res, 401, { error: why });
    }
    const seen = this.replay.check(verified.signature, now);
    if (seen === 'replay') return reply(res, 409, { error: 'replayed callback' });
    if (seen === 'full') return reply(res, 503, { error: 'replay cache full; retry later' });
    let callback: WireCallback;
    try {
      callback = parseCallback(parseJsonObject(body, 'callback body'));
    } catch (err) {
      return reply(res, 400, { error: err instanceof Error ? err.message : 'invalid decision' });
    }
    if (callback.request_id === undefined) return reply(res, 400, { error: 'request_id is required in callbacks' });
    const refusal = await endpoint.onDecision({ ...callback, request_id: callback.request_id });
    if (refusal !== null) return reply(res, 403, { error: refusal });
    reply(res, 200, { ok: true });
  }
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? undefined : value;
}

export function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
