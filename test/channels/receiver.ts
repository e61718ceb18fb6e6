/**
 * A local webhook receiver implementing the documented contract independently of guard's code:
 * it checks X-Guard-Signature with its own HMAC, records deliveries, and answers per test.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export function sign(secret: string, timestamp: string, payload: string): string {
  return 'v1=' + createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex');
}

export interface Received {
  method: string;
  path: string;
  body: string;
  json: Record<string, unknown> | undefined;
  signatureValid: boolean;
  headers: Record<string, string>;
}

export interface Reply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  signWith?: string;
}

/** The answer to a request; a promise holds the response until it settles. */
export type Responder = (req: Received) => Reply | Promise<Reply>;

export class Receiver {
  readonly received: Received[] = [];
  private server: Server | undefined;
  url = '';

  constructor(
    private readonly secret: string,
    public respond: Responder,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const ts = String(req.headers['x-guard-timestamp'] ?? '');
    const payload = req.method === 'GET' ? `GET ${req.url ?? ''}` : body;
    const signatureValid = req.headers['x-guard-signature'] === sign(this.secret, ts, payload);
    let json: Record<string, unknown> | undefined;
    try {
      json = body === '' ? undefined : (JSON.parse(body) as Record<string, unknown>);
    } catch {
      json = undefined;
    }
    const seen = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    const received = { method: req.method ?? '', path: req.url ?? '', body, json, signatureValid, headers: seen };
    this.received.push(received);
    const out = await this.respond(received);
    const headers: Record<string, string> = { 'content-type': 'application/json', ...out.headers };
    if (out.signWith !== undefined) {
      const now = String(Math.floor(Date.now() / 1000));
      headers['x-guard-timestamp'] ??= now;
      headers['x-guard-signature'] ??= sign(out.signWith, headers['x-guard-timestamp'], out.body ?? '');
    }
    res.writeHead(out.status, headers);
    res.end(out.body ?? '');
  }
}

/** POSTs a signed callback the way a receiver would (curl equivalent in docs/channels.md). */
export async function postCallback(
  url: string,
  secret: string,
  body: string,
  opts: { timestamp?: string; signature?: string } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const ts = opts.timestamp ?? String(Math.floor(Date.now() / 1000));
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-guard-timestamp': ts,
      'x-guard-signature': opts.signature ?? sign(secret, ts, body),
    },
    body,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}
