/**
 * A local fake of the Slack cloud speaking the real protocols to the official clients:
 * Web API (POST /api/<method>, form-encoded, Bearer token, `{ok}` JSON) and Socket Mode
 * (apps.connections.open → ws:// URL; `hello`; envelopes with envelope_id; acks; `disconnect`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface ApiCall {
  method: string;
  token: string | undefined;
  args: Record<string, unknown>;
}

export const APP_TOKEN = 'xapp-1-A1-test-app-token';
export const BOT_TOKEN = 'xoxb-test-bot-token';

export class FakeSlack {
  readonly calls: ApiCall[] = [];
  readonly acks: { envelope_id: string; payload: unknown }[] = [];
  /** Methods that fail for the next n calls (HTTP 500). */
  readonly failing = new Map<string, number>();
  /** When true, every API call fails at the HTTP level. */
  down = false;
  connectionsOpened = 0;
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private readonly sockets = new Set<WebSocket>();
  private ts = 1_700_000_000;
  private envelope = 0;
  private viewSeq = 0;
  apiUrl = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.wss = new WebSocketServer({ server: this.server, path: '/link' });
    this.wss.on('connection', (ws) => {
      this.sockets.add(ws);
      ws.on('close', () => this.sockets.delete(ws));
      ws.on('message', (data) => {
        const msg = JSON.parse((data as Buffer).toString('utf8')) as { envelope_id: string; payload: unknown };
        this.acks.push(msg);
      });
      ws.send(
        JSON.stringify({
          type: 'hello',
          num_connections: this.sockets.size,
          debug_info: { host: 'fake-slack' },
          connection_info: { app_id: 'A1' },
        }),
      );
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.apiUrl = `http://127.0.0.1:${this.port()}/api/`;
  }

  port(): number {
    return (this.server?.address() as AddressInfo).port;
  }

  get openSockets(): number {
    return [...this.sockets].filter((s) => s.readyState === s.OPEN).length;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    this.wss?.close();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()));
  }

  /** Abruptly drops every Socket Mode connection (network failure). */
  dropSockets(): void {
    for (const s of this.sockets) s.terminate();
  }

  /** Asks clients to reconnect, as Slack does when recycling a server. */
  sendDisconnect(): void {
    for (const s of this.sockets)
      s.send(JSON.stringify({ type: 'disconnect', reason: 'refresh_requested', debug_info: { host: 'fake-slack' } }));
  }

  /** Sends an `interactive` envelope; returns its envelope_id. */
  sendInteractive(payload: Record<string, unknown>, envelopeId?: string): string {
    const id = envelopeId ?? `env-${++this.envelope}`;
    const message = JSON.stringify({
      envelope_id: id,
      payload,
      type: 'interactive',
      accepts_response_payload: payload['type'] === 'view_submission',
    });
    const open = [...this.sockets].filter((s) => s.readyState === s.OPEN);
    if (open.length === 0) throw new Error('no open Socket Mode connection');
    open[0]?.send(message);
    return id;
  }

  callsOf(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const method = (req.url ?? '').replace(/^\/api\//, '');
    const args: Record<string, unknown> = {};
    for (const [k, v] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) {
      args[k] = k === 'blocks' || k === 'view' ? JSON.parse(v) : v;
    }
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') === true ? auth.slice(7) : undefined;
    this.calls.push({ method, token, args });
    const failures = this.failing.get(method) ?? 0;
    if (this.down || failures > 0) {
      this.failing.set(method, Math.max(0, failures - 1));
      res.writeHead(500, { 'content-type': 'text/plain' });
      return void res.end('internal error');
    }
    const json = (body: Record<string, unknown>): void => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    const needs = method === 'apps.connections.open' ? APP_TOKEN : BOT_TOKEN;
    if (token !== needs) return json({ ok: false, error: 'invalid_auth' });
    switch (method) {
      case 'apps.connections.open':
        this.connectionsOpened++;
        return json({ ok: true, url: `ws://127.0.0.1:${this.port()}/link?ticket=${this.connectionsOpened}` });
      case 'chat.postMessage': {
        const ts = `${++this.ts}.000100`;
        return json({ ok: true, channel: args['channel'], ts, message: { text: args['text'], ts } });
      }
      case 'chat.update':
        return json({ ok: true, channel: args['channel'], ts: args['ts'], text: args['text'] });
      case 'chat.postEphemeral':
        return json({ ok: true, message_ts: `${this.ts}.000200` });
      case 'views.open':
        return json({ ok: true, view: { id: `V${++this.viewSeq}`, ...(args['view'] as object) } });
      default:
        return json({ ok: false, error: 'unknown_method' });
    }
  }
}
