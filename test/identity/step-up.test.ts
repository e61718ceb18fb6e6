/**
 * Level 3 through the built CLI and a real daemon: a rule with `approval: { identity: step-up }`
 * is approved only with a fresh IdP login (code + PKCE driven by headless Chromium) whose nonce
 * names the request and the view shown. The approval record keeps the token and the JWKS, and
 * `guard ledger verify` re-checks them after the provider is gone.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approverKeyPath, readKeyFile } from '../../src/approval/keyfile.js';
import { unlockApproverKey } from '../../src/approval/keys.js';
import { callDaemon } from '../../src/cli/commands/decide-common.js';
import { formatDetail } from '../../src/cli/commands/requests.js';
import { connectIfRunning } from '../../src/daemon/connect.js';
import { requireIdentity } from '../../src/identity/load.js';
import { loginWithCode } from '../../src/identity/login.js';
import { cachedIdentityMetadata } from '../../src/identity/metadata.js';
import { stepUpNonce, viewHash } from '../../src/identity/nonce.js';
import { firstStepUpFailure } from '../../src/identity/step-up.js';
import { openLedger } from '../../src/ledger/index.js';
import { snapshotFile } from '../../src/ledger/snapshot.js';
import { MARK, Rig, TEST_POLICY, type LedgerRow } from '../daemon/helpers.js';
import { chromiumSkipReason, codeLogin, enrolWithIdp, launchChromium, loopbackPage } from './browser.js';
import { startProvider, type TestProvider } from './provider.js';

const ID = /request (rq-[0-9a-f]{12}) is waiting/;
const POLICY = `${TEST_POLICY}  - id: t.stepup
    description: Test rule that needs a fresh IdP login to approve
    effect: approve
    match: { program: mark, any_arg: [step-me] }
    approval: { timeout: 120s, groups: [sre], identity: step-up }
`;

describe.skipIf(chromiumSkipReason())('step-up approval (identity: step-up)', () => {
  let idp: TestProvider;
  let browser: Browser;
  let rig: Rig;
  let idpStopped = false;
  /** A browser context that keeps alice's IdP session from the first approval. */
  let session: Page | undefined;

  /** `guard approve` as alice; the sign-in URL it prints is completed in Chromium as `user`. */
  async function approveWithLogin(id: string, user: string, keep?: Page) {
    const page = keep ?? (await loopbackPage(browser));
    try {
      const run = rig.spawnGuard(['approve', id, '--as', 'alice', '--passphrase-file', rig.passFile('alice')]);
      const [, url] = await run.waitFor(/Sign in again to approve \S+: (\S+)/);
      await codeLogin(page, url!, user);
      return await run.done;
    } finally {
      if (keep === undefined) await page.context().close();
    }
  }

  /** A decision signed with alice's real key, sent by a client of the daemon's own. */
  async function signedDecide(id: string, stepUp?: { idToken: string; viewHash: string }) {
    const client = (await connectIfRunning(rig.env))!;
    try {
      const detail = await callDaemon(client, { type: 'show', requestId: id }, false);
      const key = unlockApproverKey(
        readKeyFile(approverKeyPath(rig.env, 'alice')),
        Buffer.from(readFileSync(rig.passFile('alice'), 'utf8').trim()),
      );
      const signed = key.sign({
        v: 1,
        requestId: id,
        fingerprint: detail.fingerprint,
        action: 'approve',
        at: new Date().toISOString(),
        approver: 'alice',
      });
      key.dispose();
      return await callDaemon(client, { type: 'decide', signed, ...(stepUp === undefined ? {} : { stepUp }) }, false);
    } finally {
      client.close();
    }
  }

  async function show(id: string) {
    const client = (await connectIfRunning(rig.env))!;
    try {
      return await callDaemon(client, { type: 'show', requestId: id }, false);
    } finally {
      client.close();
    }
  }

  /** A fresh login (max_age=0) in Chromium as alice whose nonce names `id` and the view text `view`. */
  async function freshLogin(id: string, view: string): Promise<string> {
    const { cfg, home } = requireIdentity(rig.env);
    const meta = cachedIdentityMetadata(cfg, home)!;
    const page = await loopbackPage(browser);
    try {
      let browsing: Promise<void> = Promise.resolve();
      const token = await loginWithCode(
        { cfg, meta, nonce: stepUpNonce(id, (await show(id)).fingerprint, viewHash(view)), maxAge: 0 },
        (url) => {
          browsing = codeLogin(page, url, 'alice');
        },
      );
      await browsing;
      return token;
    } finally {
      await page.context().close();
    }
  }

  const approvals = (recs: LedgerRow[], id: string) =>
    recs.filter((r) => (r.payload as { requestId?: string }).requestId === id);

  beforeAll(async () => {
    [idp, browser] = await Promise.all([startProvider(), launchChromium()]);
    rig = new Rig(POLICY);
    mkdirSync(rig.env['GUARD_HOME']!, { recursive: true, mode: 0o700 });
    writeFileSync(
      join(rig.env['GUARD_HOME']!, 'config.yaml'),
      `identity:\n  issuer: ${idp.issuer}\n  client_id: guard-cli\n  scopes: [openid, email, groups]\n  allow_insecure_http: true\n  max_clock_skew_seconds: 0\n`,
    );
    await enrolWithIdp(rig, browser, 'alice', 'sre');
    await rig.startDaemon();
  }, 120_000);

  afterAll(async () => {
    await rig?.cleanup();
    await browser?.close();
    if (!idpStopped) await idp?.stop();
  });

  it('without a step-up token the approval is refused and recorded; a token for another request is refused', async () => {
    const first = rig.spawnGuard(['exec', '--', MARK, rig.marker, 'step-me']);
    const [, id1] = await first.waitFor(ID);
    await expect(signedDecide(id1!)).rejects.toThrow(/needs a fresh IdP login/);
    const recs = await rig.ledger((rs) => rs.some((r) => r.type === 'approval_refused'));
    expect(approvals(recs, id1!).find((r) => r.type === 'approval_refused')?.payload).toMatchObject({
      code: 'step-up-missing',
      approver: 'alice',
    });
    // a real login, then lifted onto a second request: its nonce names the first
    session = await loopbackPage(browser);
    const ok = await approveWithLogin(id1!, 'alice', session);
    expect(ok.code, ok.stderr).toBe(0);
    expect((await first.done).code).toBe(0);
    const all = await rig.ledger((rs) => rs.some((r) => r.type === 'approval'));
    const rec = all.find((r) => r.type === 'approval' && (r.payload as { requestId: string }).requestId === id1)!;
    const proof = (rec.payload as { stepUp: { idToken: string; viewHash: string } }).stepUp;
    const second = rig.spawnGuard(['exec', '--', MARK, rig.marker, 'step-me']);
    const [, id2] = await second.waitFor(ID);
    // the view hash is the one of the second request (the daemon's own): the nonce still names the first
    const view2 = viewHash(formatDetail(await show(id2!)));
    expect(view2).not.toBe(proof.viewHash);
    await expect(signedDecide(id2!, { idToken: proof.idToken, viewHash: view2 })).rejects.toThrow(
      /login was made for another request/,
    );
    const after = await rig.ledger((rs) => approvals(rs, id2!).some((r) => r.type === 'approval_refused'));
    expect(approvals(after, id2!).find((r) => r.type === 'approval_refused')?.payload).toMatchObject({
      code: 'step-up-wrong-nonce',
    });
    second.child.kill();
  }, 180_000);

  it('a login by another IdP user than the enrolled approver is refused', async () => {
    const run = rig.spawnGuard(['exec', '--', MARK, rig.marker, 'step-me']);
    const [, id] = await run.waitFor(ID);
    const r = await approveWithLogin(id!, 'bob');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/another IdP user/);
    const recs = await rig.ledger((rs) => approvals(rs, id!).some((x) => x.type === 'approval_refused'));
    expect(approvals(recs, id!).find((x) => x.type === 'approval_refused')?.payload).toMatchObject({
      code: 'step-up-wrong-subject',
    });
    run.child.kill();
  }, 120_000);

  it('a login reusing an IdP session from before the request (no max_age) is refused as stale', async () => {
    const before = Date.now();
    const run = rig.spawnGuard(['exec', '--', MARK, rig.marker, 'step-me']);
    const [, id] = await run.waitFor(ID);
    const client = (await connectIfRunning(rig.env))!;
    const detail = await callDaemon(client, { type: 'show', requestId: id! }, false);
    client.close();
    const { cfg, home } = requireIdentity(rig.env);
    const meta = cachedIdentityMetadata(cfg, home)!;
    const view = formatDetail(detail);
    // a hostile client leaves out max_age=0: the provider answers from alice's earlier session
    let browsing: Promise<void> = Promise.resolve();
    const idToken = await loginWithCode(
      { cfg, meta, nonce: stepUpNonce(id!, detail.fingerprint, viewHash(view)) },
      (url) => {
        browsing = (async () => {
          await session!.goto(url, { waitUntil: 'domcontentloaded' });
          // no login form: the session answers; the consent page may ask again
          const consent = session!.getByRole('button', { name: 'Continue' });
          const done = session!.getByText('Signed in.');
          await consent.or(done).first().waitFor();
          if (await consent.isVisible()) await consent.click();
        })();
      },
    );
    await browsing;
    const authTime = (JSON.parse(Buffer.from(idToken.split('.')[1]!, 'base64url').toString()) as { auth_time: number })
      .auth_time;
    expect(authTime * 1000).toBeLessThan(before - 1000);
    await expect(signedDecide(id!, { idToken, viewHash: viewHash(view) })).rejects.toThrow(/older than/);
    const recs = await rig.ledger((rs) => approvals(rs, id!).some((x) => x.type === 'approval_refused'));
    expect(approvals(recs, id!).find((x) => x.type === 'approval_refused')?.payload).toMatchObject({
      code: 'step-up-stale-login',
    });
    run.child.kill();
  }, 120_000);

  it('a login naming a view the client chose (not the request the daemon holds) is refused', async () => {
    // two browser logins on a loaded machine: the waiting command must outlast them
    const run = rig.spawnGuard(['exec', '--', MARK, rig.marker, 'step-me'], { timeoutMs: 170_000 });
    const [, id] = await run.waitFor(ID);
    // a real fresh login by alice, bound to a harmless-looking view of the hostile client's making
    const fake = 'request looks harmless\ncommand   echo hello';
    const idToken = await freshLogin(id!, fake);
    await expect(signedDecide(id!, { idToken, viewHash: viewHash(fake) })).rejects.toThrow(/another view/);
    const recs = await rig.ledger((rs) => approvals(rs, id!).some((x) => x.type === 'approval_refused'));
    expect(approvals(recs, id!).find((x) => x.type === 'approval_refused')?.payload).toMatchObject({
      code: 'step-up-view-changed',
    });
    expect(approvals(recs, id!).some((x) => x.type === 'approval')).toBe(false);
    // the same fresh login over the view the daemon holds is accepted (the refusal was the view)
    const real = formatDetail(await show(id!));
    const good = await freshLogin(id!, real);
    await signedDecide(id!, { idToken: good, viewHash: viewHash(real) });
    expect((await run.done).code).toBe(0);
  }, 180_000);

  it('ledger verify re-checks the token offline after the provider is stopped; an altered token fails', async () => {
    const marksBefore = rig.marks().length;
    const run = rig.spawnGuard(['exec', '--', MARK, rig.marker, 'step-me']);
    const [, id] = await run.waitFor(ID);
    const ok = await approveWithLogin(id!, 'alice');
    expect(ok.code, ok.stderr).toBe(0);
    expect((await run.done).code).toBe(0);
    expect(rig.marks().length).toBe(marksBefore + 1);
    await rig.stopAll();
    await idp.stop();
    idpStopped = true;
    const pub = join(rig.home, 'ledger.pub');
    expect((await rig.guard(['ledger', 'pubkey', '--out', pub])).code).toBe(0);
    const db = join(rig.env['GUARD_HOME']!, 'ledger.db');
    const v = await rig.guard(['ledger', 'verify', '--db', db, '--pubkey', pub]);
    expect(v.code, v.stderr).toBe(0);
    // the recorded approvals re-check offline; the same records with one token character changed do not
    const records = snapshotFile(db).records;
    expect(await firstStepUpFailure(records)).toBeUndefined();
    const altered = records.map((b) => {
      const rec = JSON.parse(b.toString('utf8')) as { type: string; payload: { stepUp?: { idToken: string } } };
      if (rec.type !== 'approval' || rec.payload.stepUp === undefined) return b;
      const t = rec.payload.stepUp.idToken;
      const i = t.lastIndexOf('.') + 5;
      rec.payload.stepUp.idToken = `${t.slice(0, i)}${t[i] === 'A' ? 'B' : 'A'}${t.slice(i + 1)}`;
      return Buffer.from(JSON.stringify(rec));
    });
    expect((await firstStepUpFailure(altered))?.reason).toMatch(/^bad-signature/);
    // an exported bundle re-checks the same proofs offline
    const bundle = join(rig.home, 'good.bundle');
    expect((await rig.guard(['ledger', 'export', '--out', bundle])).code).toBe(0);
    const vb = await rig.guard(['ledger', 'verify', bundle, '--pubkey', pub]);
    expect(vb.code, vb.stderr).toBe(0);
    // a correctly sealed ledger whose last approval carries a token that does not verify (one
    // character changed): the bundle is intact, the step-up proof is not, and verify says so
    const last = records
      .map((b) => JSON.parse(b.toString('utf8')) as { type: string; payload: Record<string, unknown> })
      .filter((r) => r.type === 'approval' && r.payload['stepUp'] !== undefined)
      .at(-1)!;
    const forged = JSON.parse(JSON.stringify(last.payload)) as { stepUp: { idToken: string } };
    const t = forged.stepUp.idToken;
    const i = t.lastIndexOf('.') + 5;
    forged.stepUp.idToken = `${t.slice(0, i)}${t[i] === 'A' ? 'B' : 'A'}${t.slice(i + 1)}`;
    const ledger = await openLedger({ path: db, env: rig.env, guardVersion: '0.0.0-test', warn: () => undefined });
    const appended = await ledger.append('approval', forged);
    await ledger.close();
    const bad = join(rig.home, 'forged.bundle');
    expect((await rig.guard(['ledger', 'export', '--out', bad])).code).toBe(0);
    const vf = await rig.guard(['ledger', 'verify', bad, '--pubkey', pub]);
    expect(vf.code).toBe(1);
    expect(vf.stderr).toContain(`record ${appended.seq}: the step-up login of this approval does not verify`);
  }, 180_000);
});
