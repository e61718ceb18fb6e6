/** The curl/openssl examples in docs/channels.md, run as written (real child processes). */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpListener } from '../../src/channels/http-listener.js';
import { WebhookChannel } from '../../src/channels/webhook/channel.js';
import { FAST_RETRY, TestHost, view } from './helpers.js';
import { Receiver } from './receiver.js';

const SECRET = 'doc-example-secret';
// Async on purpose: the listener answering curl lives in this process.
const run = promisify(execFile);
const docs = readFileSync(new URL('../../docs/channels.md', import.meta.url), 'utf8');
const snippet = /```sh\n([\s\S]*?)```/.exec(docs)?.[1] ?? '';
const [callbackPart = '', verifyPart = ''] = snippet.split('# verify a delivery');
const verifyLine = verifyPart.split('\n').find((l) => l.startsWith('test ')) ?? '';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('documented curl examples', () => {
  it('the callback example is accepted by the listener', async () => {
    const receiver = new Receiver(SECRET, () => ({ status: 200, body: '' }));
    await receiver.start();
    const listener = new HttpListener({ bind: '127.0.0.1', port: 0 });
    const host = new TestHost();
    const channel = new WebhookChannel({
      name: 'ops',
      url: receiver.url,
      secret: SECRET,
      mode: 'callback',
      retry: FAST_RETRY,
      listener,
    });
    await channel.start(host);
    cleanups.push(
      () => receiver.stop(),
      () => channel.stop(),
    );
    await channel.notify(view());
    const callbackUrl = receiver.received[0]?.json?.['callback_url'] as string;
    const script = callbackPart.replace('http://127.0.0.1:8787/v1/callbacks/ops', callbackUrl);
    expect(script).toContain(callbackUrl);
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], {
      env: { ...process.env, SECRET },
      timeout: 20_000,
    });
    expect(JSON.parse(stdout)).toEqual({ ok: true });
    expect(host.decisions[0]).toMatchObject({ requestId: 'r-1', action: 'approve', identity: { id: 'bob@acme.com' } });
  });

  it('the verification one-liner accepts a real delivery and rejects a tampered one', async () => {
    const receiver = new Receiver(SECRET, () => ({ status: 200, body: '' }));
    await receiver.start();
    const channel = new WebhookChannel({
      name: 'ops',
      url: receiver.url,
      secret: SECRET,
      mode: 'notify',
      retry: FAST_RETRY,
    });
    await channel.start(new TestHost());
    cleanups.push(
      () => receiver.stop(),
      () => channel.stop(),
    );
    let headers: Record<string, string> = {};
    receiver.respond = (req) => {
      headers = req.headers;
      return { status: 200 };
    };
    await channel.notify(view({ command: "printf '%s' \"$(cat <<'X'\nmulti\nline\nX\n)\"" }));
    const dir = mkdtempSync(join(tmpdir(), 'guard-curl-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const body = receiver.received[0]?.body ?? '';
    const verify = async (content: string): Promise<number> => {
      writeFileSync(join(dir, 'body.json'), content);
      const env = {
        ...process.env,
        SECRET,
        TS: headers['x-guard-timestamp'] ?? '',
        SIG: headers['x-guard-signature'] ?? '',
      };
      return run('bash', ['-c', verifyLine], { cwd: dir, env, timeout: 20_000 }).then(
        () => 0,
        (err: unknown) => (err as { code: number }).code,
      );
    };
    expect(await verify(body)).toBe(0);
    expect(await verify(body.replace('multi', 'mult1'))).not.toBe(0);
  });
});
