/**
 * `guard approver enroll --idp` through the built CLI against a real provider: code + PKCE on a
 * loopback redirect driven by headless Chromium, and the device flow. The record's ID token
 * names the new key (nonce) and verifies offline after the provider is gone.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newApproverKeyPath } from '../../src/approval/keyfile.js';
import type { ApproverRecord } from '../../src/approval/types.js';
import { checkEnrolmentToken } from '../../src/identity/enrol.js';
import { requireIdentity } from '../../src/identity/load.js';
import { cachedIdentityMetadata } from '../../src/identity/metadata.js';
import { callDaemon } from '../../src/cli/commands/decide-common.js';
import { connectIfRunning } from '../../src/daemon/connect.js';
import { Rig } from '../daemon/helpers.js';
import { BIN, tempHome, type TempHome } from '../helpers/cli.js';
import { chromiumSkipReason, codeLogin, deviceLogin, launchChromium, loopbackPage } from './browser.js';
import { startProvider, type TestProvider } from './provider.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the enrolment; `onLine` sees each stderr line as it comes (the URL or device code) and may
 * start the browser side. A browser failure fails the test at once and stops the CLI.
 */
async function enrol(t: TempHome, args: string[], onLine: (line: string) => Promise<void> | undefined): Promise<Run> {
  const child = spawn(process.execPath, [BIN, 'approver', 'enroll', ...args], { env: t.env });
  const browsing: Promise<void>[] = [];
  let browserFailed: (err: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (browserFailed = reject));
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    partial += c.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const b = onLine(line);
      if (b !== undefined) browsing.push(b.catch(browserFailed));
    }
  });
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  try {
    const run = await Promise.race([done, failed]);
    await Promise.all(browsing);
    return run;
  } finally {
    child.kill();
  }
}

describe.skipIf(chromiumSkipReason())('guard approver enroll --idp', () => {
  let idp: TestProvider;
  let browser: Browser;
  const homes: TempHome[] = [];

  function home(): { t: TempHome; pass: string } {
    const approverHome = mkdtempSync(join(tmpdir(), 'guard-idp-approver-'));
    const t = tempHome({ GUARD_APPROVER_HOME: approverHome });
    homes.push(t);
    writeFileSync(
      join(t.home, 'config.yaml'),
      `identity:\n  issuer: ${idp.issuer}\n  client_id: guard-cli\n  scopes: [openid, email, groups]\n  allow_insecure_http: true\n`,
    );
    const pass = join(t.home, 'pass');
    writeFileSync(pass, 'correct horse battery staple\n', { mode: 0o600 });
    return { t, pass };
  }

  beforeAll(async () => {
    [idp, browser] = await Promise.all([startProvider(), launchChromium()]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await idp?.stop();
    for (const h of homes) h.cleanup();
  });

  it('code + PKCE in the browser: the record keeps sub, issuer and a token naming the key', async () => {
    const { t, pass } = home();
    const page = await loopbackPage(browser);
    const r = await enrol(
      t,
      ['--name', 'alice', '--group', 'sre', '--idp', '--passphrase-file', pass, '--json'],
      (line) => {
        const url = /^Sign in to enrol this key: (\S+)$/.exec(line)?.[1];
        return url === undefined ? undefined : codeLogin(page, url, 'alice');
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const rec = JSON.parse(r.stdout) as ApproverRecord;
    expect(rec.idp).toMatchObject({ issuer: idp.issuer, subject: 'alice' });
    const stored = JSON.parse(readFileSync(join(t.home, 'approvers', 'alice.json'), 'utf8')) as ApproverRecord;
    expect(stored.idp).toEqual(rec.idp);
    // later, offline: the token verifies against the cached JWKS and names exactly this key
    const { cfg } = requireIdentity(t.env);
    const jwks = cachedIdentityMetadata(cfg, t.home)!.jwks;
    const at = new Date(rec.enrolledAt);
    const good = await checkEnrolmentToken({
      cfg,
      jwks,
      publicKey: rec.publicKey,
      token: rec.idp!.idToken,
      at,
      subject: 'alice',
    });
    expect(good.ok).toBe(true);
    const otherKey = Buffer.alloc(32, 7).toString('base64');
    const swapped = await checkEnrolmentToken({ cfg, jwks, publicKey: otherKey, token: rec.idp!.idToken, at });
    expect(swapped).toMatchObject({ ok: false, code: 'wrong-nonce' });
    await page.context().close();
  }, 120_000);

  it('device flow: the code is typed on another device; a token that does not name the key enrols nothing', async () => {
    // oidc-provider, like most providers, does not copy the nonce into device-flow ID tokens, so
    // that login cannot prove which key it was for (decision 1061)
    const { t, pass } = home();
    const page = await loopbackPage(browser);
    let uri: string | undefined;
    const r = await enrol(
      t,
      ['--name', 'alice', '--group', 'staff', '--idp', '--device', '--passphrase-file', pass, '--json'],
      (line) => {
        const m = /^Sign in at (\S+) and enter the code (\S+)$/.exec(line);
        if (m === null) return undefined;
        uri = m[1]!;
        return deviceLogin(page, m[1]!, m[2]!, 'alice');
      },
    );
    expect(uri).toBe(`${idp.issuer}/device`);
    expect(r.code).toBe(70);
    expect(r.stderr).toMatch(/carries no nonce/);
    expect(r.stderr).toMatch(/enrol with the browser login/);
    expect(existsSync(join(t.home, 'approvers', 'alice.json'))).toBe(false);
    expect(existsSync(newApproverKeyPath(t.env, 'alice'))).toBe(false);
    await page.context().close();
  }, 120_000);

  it('refuses a group the IdP does not list for the user; nothing is enrolled, no key file kept', async () => {
    const { t, pass } = home();
    const page = await loopbackPage(browser);
    const r = await enrol(t, ['--name', 'bob', '--group', 'sre', '--idp', '--passphrase-file', pass], (line) => {
      const url = /^Sign in to enrol this key: (\S+)$/.exec(line)?.[1];
      return url === undefined ? undefined : codeLogin(page, url, 'bob');
    });
    expect(r.code).toBe(70);
    expect(r.stderr).toMatch(/the IdP does not list bob in sre/);
    expect(existsSync(join(t.home, 'approvers', 'bob.json'))).toBe(false);
    expect(existsSync(newApproverKeyPath(t.env, 'bob'))).toBe(false);
    await page.context().close();
  }, 120_000);

  it('without an identity section, --idp is a usage error before any passphrase is read', async () => {
    const t = tempHome({ GUARD_APPROVER_HOME: mkdtempSync(join(tmpdir(), 'guard-idp-approver-')) });
    homes.push(t);
    const r = await enrol(t, ['--name', 'alice', '--group', 'sre', '--idp'], () => undefined);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/no identity provider is configured/);
  });

  it('through the daemon: it checks the binding itself; a token lifted onto another key is refused and recorded', async () => {
    const rig = new Rig();
    try {
      await rig.startDaemon();
      const t: TempHome = { home: rig.home, env: rig.env, cleanup: () => undefined };
      writeFileSync(
        join(rig.env['GUARD_HOME']!, 'config.yaml'),
        `identity:\n  issuer: ${idp.issuer}\n  client_id: guard-cli\n  scopes: [openid, email, groups]\n  allow_insecure_http: true\n`,
      );
      writeFileSync(rig.passFile('alice'), 'correct horse battery staple\n', { mode: 0o600 });
      const page = await loopbackPage(browser);
      const r = await enrol(
        t,
        ['--name', 'alice', '--group', 'sre', '--idp', '--passphrase-file', rig.passFile('alice'), '--json'],
        (line) => {
          const url = /^Sign in to enrol this key: (\S+)$/.exec(line)?.[1];
          return url === undefined ? undefined : codeLogin(page, url, 'alice');
        },
      );
      await page.context().close();
      expect(r.code, r.stderr).toBe(0);
      const alice = JSON.parse(r.stdout) as ApproverRecord;
      // a hostile client of the daemon's own uid copies alice's IdP binding onto a key of its own
      const client = await connectIfRunning(rig.env);
      const forged = callDaemon(client!, {
        type: 'enroll',
        candidate: {
          name: 'mallory',
          groups: ['sre'],
          publicKey: Buffer.alloc(32, 9).toString('base64'),
          idp: alice.idp,
        },
      });
      await expect(forged).rejects.toThrow(/IdP binding refused: .*nonce/);
      expect(existsSync(join(rig.env['GUARD_HOME']!, 'approvers', 'mallory.json'))).toBe(false);
      const log = await rig.guard(['ledger', 'show', '--json']);
      expect(log.stdout).toMatch(/approver_enroll_refused/);
      expect(log.stdout).toMatch(/"idpSubject":"alice"/);
    } finally {
      await rig.cleanup();
    }
  }, 180_000);
});
