/**
 * A socket server that stands in for the daemon where a test needs answers a real daemon never
 * gives (malformed, out of order, none at all). It records every message it reads and answers
 * each message of one type with `answer` (n: how many of that type so far, from 1).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameReader } from '../../src/daemon/framing.js';

export type Answer = (msg: Record<string, unknown>, n: number, sock: Socket) => void;

export class FakeDaemon {
  readonly dir = mkdtempSync(join(tmpdir(), 'gnf-'));
  readonly socket = join(this.dir, 's.sock');
  readonly received: Record<string, unknown>[] = [];
  private server: Server | undefined;
  constructor(
    private readonly answer: Answer,
    private readonly type = 'exec',
  ) {}
  start(): Promise<void> {
    this.server = createServer((sock) => {
      const reader = new FrameReader();
      sock.on('error', () => undefined);
      sock.on('data', (chunk: Buffer) => {
        for (const m of reader.push(chunk) as Record<string, unknown>[]) {
          this.received.push(m);
          if (m['type'] === this.type)
            this.answer(m, this.received.filter((x) => x['type'] === this.type).length, sock);
        }
      });
    });
    return new Promise((res) => this.server!.listen(this.socket, res));
  }
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, GUARD_SOCKET: this.socket, ...extra };
    delete env['GUARD_AGENT'];
    return env;
  }
  stop(): void {
    this.server?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
