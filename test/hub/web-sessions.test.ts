/**
 * The hub web page's sign-ins and sessions are shared by its replicas through PostgreSQL (decision
 * 1075): two real `guard hub start` processes on one real PostgreSQL behind a small load balancer
 * (the page's public URL), the real OpenID provider, headless Chromium and a real daemon joined to
 * the hub. A sign-in started on replica A completes on replica B, the page and an approval go
 * through B and the command runs once; B restarted keeps alice signed in; the database holds no
 * session id, state or CSRF token in clear; a session id replayed after sign-out or expiry is
 * refused; a callback and an ID token are accepted once across replicas.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pgClient from 'pg';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgWebSessions } from '../../src/hub/web-sessions.js';
import { digest } from '../../src/web/sessions.js';
import type { LedgerRow, Rig } from '../daemon/helpers.js';
import { postgresSkipReason, startPostgres, type Postgres } from '../helpers/postgres.js';
import { chromiumSkipReason, launchChromium, loopbackPage } from '../identity/browser.js';
import { startProvider, type TestProvider } from '../identity/provider.js';
import { idpLogin, outcome, PHONE } from '../web/page.js';
import { startReplica, type Replica } from './fleet.js';
import { raiseOnHub, startIdpHost } from './web-host.js';

const HOST = 'hsess-a';

const skip = postgresSkipReason() !== undefined || chromiumSkipReason() !== false;

/** The load balancer: `/approve/login` goes to replica A, everything else to `rest()`. */
function balancer(a: () => string, rest: () => string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const to = new URL(req.url ?? '/', (req.url ?? '').startsWith('/approve/login') ? a() : rest());
    const up = httpRequest(to, { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

describe.skipIf(skip)('hub web sessions shared by replicas (PostgreSQL)', () => {
  let pg: Postgres;
  let idp: TestProvider;
  let browser: Browser;
  let a: Replica;
  let b: Replica;
  let lb: { server: Server; url: string };
  let hubConfig: string;
  let dir: string;
  let rig: Rig;
  let phone: Page;
  /** The callback URLs the browser was sent to (code + state). */
  const callbacks: string[] = [];

  const identity = (): string =>
    `identity:\n  issuer: ${idp.issuer}\n  client_id: guard-cli\n  scopes: [openid, email, groups]\n  allow_insecure_http: true\n  max_clock_skew_seconds: 0\n`;
  const page = (): string => `${lb.url}/approve/`;
  const replica = (name: string): Promise<Replica> =>
    startReplica(pg, hubConfig, '127.0.0.1:0', { GUARD_HOME: join(dir, name) }, ['--public-url', lb.url]);

  async function signIn(user: string): Promise<Page> {
    const p = await loopbackPage(browser, PHONE);
    p.on('request', (r) => {
      if (r.url().includes('/approve/callback')) callbacks.push(r.url());
    });
    await p.goto(page(), { waitUntil: 'domcontentloaded' });
    await p.getByRole('link', { name: 'Sign in' }).click();
    await idpLogin(p, user, 'Waiting for approval|Sign-in refused');
    return p;
  }

  const sessionCookie = async (p: Page): Promise<string> =>
    (await p.context().cookies()).find((c) => c.name === 'guard_session')?.value ?? '';

  /** A browser that presents `id` as its session cookie (a stolen or replayed session id). */
  async function withSession(id: string): Promise<Page> {
    const p = await loopbackPage(browser, PHONE);
    const { hostname } = new URL(lb.url);
    await p.context().addCookies([{ name: 'guard_session', value: id, domain: hostname, path: '/approve' }]);
    return p;
  }

  const of = (recs: LedgerRow[], id: string, type: string) =>
    recs.filter((r) => r.type === type && (r.payload as { requestId?: string }).requestId === id);

  beforeAll(async () => {
    [pg, idp, browser] = await Promise.all([startPostgres(), startProvider(), launchChromium()]);
    dir = mkdtempSync('/tmp/gd-hubsess-');
    hubConfig = join(dir, 'hub.yaml');
    writeFileSync(hubConfig, identity());
    lb = await balancer(
      () => a.url,
      () => b.url,
    );
    [a, b] = await Promise.all([replica('a'), replica('b')]);
    rig = await startIdpHost(pg, browser, a.url, HOST, identity());
  }, 300_000);

  afterAll(async () => {
    await rig?.cleanup();
    a?.child.kill('SIGKILL');
    b?.child.kill('SIGKILL');
    lb?.server.close();
    await browser?.close();
    await idp?.stop();
    await pg?.destroy();
  });

  it('a sign-in started on replica A completes on B; the page and an approval go through B and the command runs once', async () => {
    phone = await signIn('alice');
    expect(await phone.locator('h1').innerText()).toMatch(/Waiting for approval/);
    expect(a.log()).not.toContain('sign-in refused');
    expect(callbacks).toHaveLength(1);
    const { run, id } = await raiseOnHub(rig, pg, 'web-me');
    await phone.goto(page(), { waitUntil: 'domcontentloaded' });
    await phone.getByRole('link', { name: new RegExp(id) }).click();
    await phone.getByRole('button', { name: 'Approve', exact: true }).click();
    expect(await outcome(phone)).toMatch(/^Recorded/);
    const ran = await run.done;
    expect(ran.code, ran.stderr).toBe(0);
    expect(rig.marks()).toHaveLength(1);
    expect(pg.sql(`SELECT count(*) FROM votes WHERE request_id = '${id}'`).trim()).toBe('1');
    const recs = await rig.ledger((rs) => of(rs, id, 'approval').length > 0);
    expect(of(recs, id, 'approval')).toHaveLength(1);
    expect(of(recs, id, 'approval')[0]?.payload).toMatchObject({ approver: 'alice', channel: 'hub-web' });
  }, 180_000);

  it('the database holds digests only: no session id, CSRF token or sign-in state in clear', async () => {
    const id = await sessionCookie(phone);
    expect(id).not.toBe('');
    await phone.goto(page(), { waitUntil: 'domcontentloaded' });
    const csrf = await phone.locator('form[action="/approve/logout"] input[name=csrf]').inputValue();
    const state = new URL(callbacks[0]!).searchParams.get('state')!;
    const dump = pg.sql(
      `SELECT coalesce(string_agg(t::text, ' '), '') FROM (SELECT row_to_json(s)::text AS t FROM web_sessions s
       UNION ALL SELECT row_to_json(l)::text FROM web_logins l UNION ALL SELECT row_to_json(u)::text FROM web_used_tokens u) x`,
    );
    expect(dump).toContain(digest(id));
    for (const secret of [id, csrf, state]) expect(dump).not.toContain(secret);
    expect(pg.sql(`SELECT count(*) FROM web_used_tokens`).trim()).toBe('1');
    // the digest alone is no session: presented as a cookie it is refused
    const thief = await withSession(digest(id));
    await thief.goto(page(), { waitUntil: 'domcontentloaded' });
    expect(await thief.getByRole('link', { name: 'Sign in' }).count()).toBe(1);
    await thief.context().close();
  }, 60_000);

  it('a replayed callback is refused by the other replica (each sign-in is answered once, fleet-wide)', async () => {
    // the sign-in's callback went through B; the same code and state sent to A directly
    const replay = new URL(callbacks[0]!);
    const r = await phone.request.get(`${a.url}${replay.pathname}${replay.search}`);
    expect(r.status()).toBe(400);
    expect(await r.text()).toMatch(/already used sign-in/);
    expect(pg.sql(`SELECT count(*) FROM web_sessions`).trim()).toBe('1');
  }, 60_000);

  it('replica B restarted: alice is still signed in and her approval goes through the new process', async () => {
    b.child.kill('SIGKILL');
    await new Promise((r) => b.child.once('exit', r));
    b = await replica('b2');
    const { run, id } = await raiseOnHub(rig, pg, 'web-me');
    await phone.goto(page(), { waitUntil: 'domcontentloaded' });
    expect(await phone.locator('.who').innerText()).toContain('alice');
    await phone.getByRole('link', { name: new RegExp(id) }).click();
    await phone.getByRole('button', { name: 'Approve', exact: true }).click();
    expect(await outcome(phone)).toMatch(/^Recorded/);
    expect((await run.done).code).toBe(0);
    expect(rig.marks()).toHaveLength(2);
  }, 180_000);

  it('a session id replayed after sign-out is refused, on every replica', async () => {
    const p = await signIn('alice');
    const id = await sessionCookie(p);
    await p.goto(page(), { waitUntil: 'domcontentloaded' });
    const csrf = await p.locator('form[action="/approve/logout"] input[name=csrf]').inputValue();
    await p.getByRole('button', { name: 'Sign out' }).click();
    await p.locator('h1', { hasText: 'Signed out' }).waitFor();
    expect(pg.sql(`SELECT count(*) FROM web_sessions WHERE id_sha256 = '${digest(id)}'`).trim()).toBe('0');
    const replay = await withSession(id);
    for (const base of [a.url, b.url]) {
      await replay.goto(`${base}/approve/`, { waitUntil: 'domcontentloaded' });
      expect(await replay.getByRole('link', { name: 'Sign in' }).count()).toBe(1);
      const post = await replay.request.post(`${base}/approve/logout`, { form: { csrf } });
      expect(post.status()).toBe(401);
    }
    await replay.context().close();
    await p.context().close();
  }, 120_000);

  it('an expired session is refused (expiry is in the query) and pruned when the next one is made', async () => {
    const p = await signIn('alice');
    const id = await sessionCookie(p);
    // the session's end passes (its row says so; the clock is the database's)
    pg.sql(`UPDATE web_sessions SET expires_at = now() - interval '1 second' WHERE id_sha256 = '${digest(id)}'`);
    await p.goto(page(), { waitUntil: 'domcontentloaded' });
    expect(await p.getByRole('link', { name: 'Sign in' }).count()).toBe(1);
    const r = await p.request.post(`${a.url}/approve/logout`, { form: { csrf: 'x' } });
    expect(r.status()).toBe(401);
    await p.context().close();
    const q = await signIn('alice');
    expect(await q.locator('h1').innerText()).toMatch(/Waiting for approval/);
    expect(pg.sql(`SELECT count(*) FROM web_sessions WHERE id_sha256 = '${digest(id)}'`).trim()).toBe('0');
    await q.context().close();
  }, 120_000);

  it('an ID token is accepted once across replicas (two stores on two connections, racing)', async () => {
    const pools = [0, 1].map(() => new pgClient.Pool({ connectionString: pg.url, max: 1 }));
    try {
      const [x, y] = pools.map((pool) => new PgWebSessions(pool, 60_000));
      const hash = digest('an ID token');
      const first = await Promise.all([x!.firstUse(hash), y!.firstUse(hash)]);
      expect(first.filter(Boolean)).toHaveLength(1);
      expect(await x!.firstUse(hash)).toBe(false);
      expect(await y!.firstUse(hash)).toBe(false);
      // a sign-in state is taken once, by whichever replica sees the callback first
      const login = await x!.startLogin({ kind: 'sign-in' }, 'verifier', 'nonce');
      const taken = await Promise.all([x!.takeLogin(login.state), y!.takeLogin(login.state)]);
      expect(taken.filter((t) => t !== undefined)).toHaveLength(1);
      // a step-up sign-in would have to store a session id: refused
      await expect(
        x!.startLogin({ kind: 'step-up', session: 's', requestId: 'r', viewHash: 'v' }, 'verifier', 'nonce'),
      ).rejects.toThrow(/no step-up/);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  }, 60_000);
});
