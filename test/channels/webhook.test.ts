import { afterEach, describe, expect, it } from 'vitest';
import { HttpListener } from '../../src/channels/http-listener.js';
import { WebhookChannel, type WebhookOptions } from '../../src/channels/webhook/channel.js';
import { FAST_RETRY, TestHost, until, view } from './helpers.js';
import { postCallback, Receiver } from './receiver.js';

const SECRET = 'whsec-test-0123456789';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(respond: Receiver['respond'], opts: Partial<WebhookOptions> = {}) {
  const receiver = new Receiver(SECRET, respond);
  await receiver.start();
  const host = new TestHost({ 'bob@acme.test': 'bob', 'ana@acme.test': 'ana' }, ['ana@acme.test']);
  const channel = new WebhookChannel({
    name: 'ops',
    url: `${receiver.url}/hook`,
    secret: SECRET,
    mode: 'inline',
    retry: FAST_RETRY,
    pollIntervalMs: 30,
    ...opts,
  });
  await channel.start(host);
  cleanups.push(
    () => receiver.stop(),
    () => channel.stop(),
  );
  return { receiver, host, channel };
}

const decision = (d: Record<string, unknown>) => JSON.stringify(d);

describe('webhook: signed delivery and inline decisions', () => {
  it('signs the POST and accepts a signed inline approval with the endpoint as verifier', async () => {
    const { receiver, host, channel } = await setup(() => ({
      status: 200,
      body: decision({ action: 'approve', approver: 'bob@acme.test', reason: 'ok' }),
      signWith: SECRET,
    }));
    await channel.notify(view());
    await until(() => host.decisions.length === 1, 'decision');
    const got = receiver.received[0];
    expect(got?.signatureValid).toBe(true);
    expect(got?.json?.['event']).toBe('request.created');
    expect((got?.json?.['request'] as { id: string }).id).toBe('r-1');
    expect(got?.json?.['decision_schema']).toBeDefined();
    expect(got?.json?.['callback_url']).toBeUndefined();
    expect(host.decisions[0]).toEqual({
      requestId: 'r-1',
      action: 'approve',
      identity: { channel: 'webhook', id: 'bob@acme.test', verifiedBy: 'webhook:ops' },
      reason: 'ok',
      question: undefined,
    });
    expect(channel.status().ok).toBe(true);
  });

  it('refuses an inline decision with a tampered signature (nothing reaches the daemon)', async () => {
    const body = decision({ action: 'approve', approver: 'bob@acme.test' });
    const { host, channel } = await setup(() => ({ status: 200, body, signWith: 'wrong-secret' }));
    await channel.notify(view());
    await until(() => host.errors().some((e) => e.includes('signature mismatch')), 'refusal logged');
    expect(host.decisions).toHaveLength(0);
    expect(channel.status().ok).toBe(false);
  });

  it('refuses an inline decision with a stale timestamp', async () => {
    const old = String(Math.floor(Date.now() / 1000) - 301);
    const { host, channel } = await setup(() => ({
      status: 200,
      body: decision({ action: 'approve', approver: 'bob@acme.test' }),
      headers: { 'x-guard-timestamp': old },
      signWith: SECRET,
    }));
    await channel.notify(view());
    await until(() => host.errors().some((e) => e.includes('signature stale')), 'stale refusal');
    expect(host.decisions).toHaveLength(0);
  });

  it('refuses a malformed decision and one naming another request', async () => {
    const answers = [
      decision({ action: 'allow', approver: 'bob@acme.test' }),
      decision({ request_id: 'r-other', action: 'approve', approver: 'bob@acme.test' }),
    ];
    const { host, channel } = await setup(() => ({ status: 200, body: answers.shift() ?? '', signWith: SECRET }));
    await channel.notify(view());
    await channel.notify(view());
    await until(() => host.errors().length >= 2, 'two refusals');
    expect(host.errors().join('\n')).toMatch(/invalid decision: action/);
    expect(host.errors().join('\n')).toMatch(/names request r-other/);
    expect(host.decisions).toHaveLength(0);
  });

  it('passes the daemon refusal through (self-approval is logged, not applied)', async () => {
    const { host, channel } = await setup(() => ({
      status: 200,
      body: decision({ action: 'approve', approver: 'ana@acme.test' }),
      signWith: SECRET,
    }));
    await channel.notify(view());
    await until(() => host.logs.some((l) => l.message.includes('four-eyes')), 'refusal logged');
    expect(host.decisions).toHaveLength(0);
    expect(host.refusals[0]?.decision.identity.id).toBe('ana@acme.test');
  });

  it('notify mode offers no decision schema and ignores decision-looking answers', async () => {
    const { receiver, host, channel } = await setup(
      () => ({ status: 200, body: decision({ action: 'approve', approver: 'bob@acme.test' }), signWith: SECRET }),
      { mode: 'notify' },
    );
    await channel.notify(view());
    await channel.update(view({ state: 'approved', decidedBy: 'bob' }));
    await channel.flush();
    expect(receiver.received.map((r) => r.json?.['event'])).toEqual(['request.created', 'request.updated']);
    expect(receiver.received[0]?.json?.['decision_schema']).toBeUndefined();
    expect(host.decisions).toHaveLength(0);
  });

  it('refuses plain http to a non-loopback host unless allowed explicitly', () => {
    const base = { name: 'x', secret: SECRET, mode: 'inline' as const, retry: FAST_RETRY };
    expect(() => new WebhookChannel({ ...base, url: 'http://approvals.example.com/hook' })).toThrow(/use https/);
    expect(
      () => new WebhookChannel({ ...base, url: 'http://approvals.example.com/hook', allowInsecureHttp: true }),
    ).not.toThrow();
  });
});

describe('webhook: 202 + Location polling', () => {
  it('polls with signed GETs until a signed 200 decision arrives', async () => {
    let polls = 0;
    const { receiver, host, channel } = await setup(
      (req) => {
        if (req.method === 'POST') return { status: 202, headers: { location: '/decisions/r-1?k=abc' } };
        polls++;
        if (polls < 3) return { status: 202 };
        return {
          status: 200,
          body: decision({ action: 'deny', approver: 'bob@acme.test', reason: 'not today' }),
          signWith: SECRET,
        };
      },
      { mode: 'poll' },
    );
    await channel.notify(view());
    await until(() => host.decisions.length === 1, 'polled decision');
    expect(host.decisions[0]?.action).toBe('deny');
    expect(host.decisions[0]?.reason).toBe('not today');
    const gets = receiver.received.filter((r) => r.method === 'GET');
    expect(gets).toHaveLength(3);
    expect(gets.every((g) => g.signatureValid && g.path === '/decisions/r-1?k=abc')).toBe(true);
  });

  it('refuses a forged polled decision and a Location on another origin', async () => {
    const { host, channel } = await setup(
      (req) => {
        if (req.method === 'POST' && (req.json?.['request'] as { id: string }).id === 'r-2')
          return { status: 202, headers: { location: 'http://127.0.0.2:9/elsewhere' } };
        if (req.method === 'POST') return { status: 202, headers: { location: '/d/r-1' } };
        return { status: 200, body: decision({ action: 'approve', approver: 'bob@acme.test' }), signWith: 'forged' };
      },
      { mode: 'poll' },
    );
    await channel.notify(view());
    await channel.notify(view({ id: 'r-2' }));
    await until(() => host.errors().length >= 2, 'two refusals');
    expect(host.errors().join('\n')).toMatch(/another origin/);
    expect(host.errors().join('\n')).toMatch(/polled decision for r-1 refused: signature mismatch/);
    expect(host.decisions).toHaveLength(0);
  });

  it('stops polling once the request is final', async () => {
    const { receiver, channel } = await setup(
      (req) => (req.method === 'POST' ? { status: 202, headers: { location: '/d/r-1' } } : { status: 202 }),
      { mode: 'poll' },
    );
    await channel.notify(view());
    await until(() => receiver.received.some((r) => r.method === 'GET'), 'first poll');
    await channel.update(view({ state: 'expired' }));
    await until(() => !channel.status().detail.includes('1 polling'), 'poll stopped');
    expect(channel.status().detail).toContain('0 polling');
  });
});

describe('webhook: signed callbacks to the HTTP listener', () => {
  async function callbackSetup() {
    const listener = new HttpListener({ bind: '127.0.0.1', port: 0 });
    const ctx = await setup(() => ({ status: 200, body: '{}' }), { mode: 'callback', listener });
    const url =
      ctx.receiver.received.length === 0
        ? (await ctx.channel.notify(view()), ctx.receiver.received[0]?.json?.['callback_url'])
        : undefined;
    expect(typeof url).toBe('string');
    return { ...ctx, url: url as string };
  }

  it('advertises callback_url and accepts one signed callback', async () => {
    const { host, url } = await callbackSetup();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/callbacks\/ops$/);
    const body = decision({ request_id: 'r-1', action: 'approve', approver: 'bob@acme.test' });
    const first = await postCallback(url, SECRET, body);
    expect(first).toEqual({ status: 200, json: { ok: true } });
    expect(host.decisions[0]?.identity).toEqual({ channel: 'webhook', id: 'bob@acme.test', verifiedBy: 'webhook:ops' });
  });

  it('refuses a replayed callback (same signature) with 409 and decides once', async () => {
    const { host, url } = await callbackSetup();
    const body = decision({ request_id: 'r-1', action: 'approve', approver: 'bob@acme.test' });
    const ts = String(Math.floor(Date.now() / 1000));
    expect((await postCallback(url, SECRET, body, { timestamp: ts })).status).toBe(200);
    const replay = await postCallback(url, SECRET, body, { timestamp: ts });
    expect(replay.status).toBe(409);
    expect(host.decisions).toHaveLength(1);
  });

  it('refuses tampered and stale callbacks with 401', async () => {
    const { host, url } = await callbackSetup();
    const body = decision({ request_id: 'r-1', action: 'approve', approver: 'bob@acme.test' });
    const ts = String(Math.floor(Date.now() / 1000));
    const tampered = await postCallback(url, SECRET, body.replace('bob', 'eve'), {
      timestamp: ts,
      signature: (await import('./receiver.js')).sign(SECRET, ts, body),
    });
    expect(tampered).toEqual({ status: 401, json: { error: 'signature mismatch' } });
    const stale = await postCallback(url, SECRET, body, { timestamp: String(Number(ts) - 301) });
    expect(stale.status).toBe(401);
    expect(stale.json['error']).toMatch(/outside ±300s/);
    const future = await postCallback(url, SECRET, body, { timestamp: String(Number(ts) + 400) });
    expect(future.status).toBe(401);
    const missing = await fetch(url, { method: 'POST', body });
    expect(missing.status).toBe(401);
    expect(host.decisions).toHaveLength(0);
  });

  it('returns the daemon refusal as 403 JSON, and rejects bad input clearly', async () => {
    const { host, url } = await callbackSetup();
    const unmapped = await postCallback(
      url,
      SECRET,
      decision({ request_id: 'r-1', action: 'approve', approver: 'mallory@x.test' }),
    );
    expect(unmapped).toEqual({ status: 403, json: { error: 'mallory@x.test is not an enrolled approver' } });
    const noId = await postCallback(url, SECRET, decision({ action: 'approve', approver: 'bob@acme.test' }));
    expect(noId.status).toBe(400);
    const notJson = await postCallback(url, SECRET, 'approve please');
    expect(notJson.status).toBe(400);
    const big = await postCallback(url, SECRET, JSON.stringify({ pad: 'x'.repeat(70_000) }));
    expect(big.status).toBe(413);
    const unknown = await postCallback(url.replace(/ops$/, 'nope'), SECRET, '{}');
    expect(unknown.status).toBe(404);
    expect(host.decisions).toHaveLength(0);
  });
});

describe('webhook: a channel down for the whole request lifetime', () => {
  it('retries with backoff, logs every failure, gives up and reports not ok', async () => {
    const receiver = new Receiver(SECRET, () => ({ status: 200 }));
    await receiver.start();
    const deadUrl = receiver.url;
    await receiver.stop();
    const host = new TestHost();
    const channel = new WebhookChannel({
      name: 'down',
      url: `${deadUrl}/hook`,
      secret: SECRET,
      mode: 'inline',
      retry: FAST_RETRY,
    });
    await channel.start(host);
    await channel.notify(view());
    const errors = host.errors();
    expect(errors.filter((e) => e.includes('failed:'))).toHaveLength(3);
    expect(errors.at(-1)).toMatch(/gave up after 3 attempts; the request stays pending until it expires/);
    const status = channel.status();
    expect(status.ok).toBe(false);
    expect(status.detail).toMatch(/0 delivered; 3 failed attempts; 1 given up; last error/);
    expect(JSON.stringify(host.logs)).not.toContain(SECRET);
    await channel.stop();
  });

  it('a 5xx answer is retried and the later success restores health', async () => {
    let n = 0;
    const { receiver, host, channel } = await setup(() => (++n < 3 ? { status: 503 } : { status: 200, body: '' }));
    await channel.notify(view());
    expect(receiver.received).toHaveLength(3);
    expect(host.errors().filter((e) => e.includes('HTTP 503'))).toHaveLength(2);
    expect(channel.status().ok).toBe(true);
  });
});
