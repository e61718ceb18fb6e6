import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createChannels, loadChannelsConfig, resolveSecret, type Channel } from '../../src/channels/index.js';
import { UsageError } from '../../src/errors.js';
import { TestHost, until, view } from './helpers.js';
import { postCallback, Receiver } from './receiver.js';

const dirs: string[] = [];
const stops: Channel[] = [];
afterEach(async () => {
  for (const c of stops.splice(0)) await c.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'guard-channels-'));
  dirs.push(d);
  return d;
}

const FULL = `
daemon:
  other: section not ours
channels:
  slack:
    app_token_ref: env:SLACK_APP_TOKEN
    bot_token_ref: keychain:guard/slack-bot
    channel_id: C0123ABCD
    user_map: { U0ALICE: alice }
  webhooks:
    - name: ops
      url: https://approvals.example.com/guard
      secret_ref: file:/etc/guard/ops.secret
      mode: callback
  teams:
    workflow_url_ref: env:TEAMS_WORKFLOW_URL
    mode: approval
  http_listener:
    port: 8787
`;

function errorOf(text: string): string {
  try {
    loadChannelsConfig(text, '/home/u/.guard/config.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

describe('channels config', () => {
  it('loads a full section with defaults and ignores other sections', () => {
    const c = loadChannelsConfig(FULL, 'config.yaml');
    expect(c.slack?.channel_id).toBe('C0123ABCD');
    expect(c.webhooks[0]?.mode).toBe('callback');
    expect(c.http_listener).toEqual({ bind: '127.0.0.1', port: 8787 });
    expect(loadChannelsConfig('daemon: {}\n', 'c.yaml')).toEqual({ webhooks: [] });
    expect(loadChannelsConfig('', 'c.yaml')).toEqual({ webhooks: [] });
  });

  it('names file:line:col for a bad value', () => {
    expect(errorOf(FULL.replace('mode: callback', 'mode: sometimes'))).toMatch(
      /^\/home\/u\/\.guard\/config\.yaml:14:13: channels\.webhooks\.0\.mode: /,
    );
  });

  it('refuses a secret written in place of a reference, without echoing it', () => {
    const message = errorOf(FULL.replace('env:SLACK_APP_TOKEN', 'xapp-1-A1-supersecret'));
    expect(message).toMatch(/config\.yaml:6:20: channels\.slack\.app_token_ref: must be a secret reference/);
    expect(message).not.toContain('supersecret');
  });

  it('refuses unknown keys, duplicate names, callback mode without a listener, and YAML errors', () => {
    expect(errorOf('channels:\n  slak: {}\n')).toMatch(/config\.yaml:2:3: channels: Unrecognized key/);
    const twice =
      'channels:\n  webhooks:\n    - {name: a, url: "https://x.test", secret_ref: "env:A", mode: inline}\n    - {name: a, url: "https://y.test", secret_ref: "env:B", mode: inline}\n';
    expect(errorOf(twice)).toMatch(/config\.yaml:4:14: channels\.webhooks\.1\.name: duplicate webhook name "a"/);
    const noListener =
      'channels:\n  webhooks:\n    - {name: a, url: "https://x.test", secret_ref: "env:A", mode: callback}\n';
    expect(errorOf(noListener)).toMatch(/:3:.*needs channels\.http_listener/);
    expect(errorOf('channels:\n  slack: [\n')).toMatch(/config\.yaml:\d+:\d+: YAML error/);
    expect(
      errorOf(
        'channels:\n  slack:\n    channel_id: "#approvals"\n    app_token_ref: env:A\n    bot_token_ref: env:B\n',
      ),
    ).toMatch(/:3:17: .*channel id/);
  });

  it('teams.grant_actions: a boolean, and only with mode approval (decision 1111)', () => {
    const teams = (extra: string, mode = 'approval') =>
      `channels:\n  teams:\n    workflow_url_ref: env:FLOW\n    mode: ${mode}\n${extra}`;
    expect(loadChannelsConfig(teams('    grant_actions: true\n'), 'c.yaml').teams?.grant_actions).toBe(true);
    expect(loadChannelsConfig(teams(''), 'c.yaml').teams?.grant_actions).toBeUndefined();
    expect(errorOf(teams('    grant_actions: "yes"\n'))).toMatch(/:5:20: channels\.teams\.grant_actions: .*boolean/);
    expect(errorOf(teams('    grant_actions: true\n', 'notify'))).toMatch(
      /:5:20: channels\.teams\.grant_actions: grant_actions needs mode "approval" \(a notify flow returns no answer\)/,
    );
    // the hub's Teams owner posts no live-grant card
    expect(() => loadChannelsConfig(teams('    grant_actions: true\n'), 'hub.yaml', true)).toThrow(
      /hub\.yaml:5:20: channels\.teams\.grant_actions: grant_actions is not built on the hub/,
    );
  });
});

describe('secret references', () => {
  it('reads env: and 0600 file: references', async () => {
    expect(await resolveSecret('env:TOK', { TOK: 'abc' })).toBe('abc');
    const file = join(tmp(), 'secret');
    writeFileSync(file, 's3cret\n', { mode: 0o600 });
    expect(await resolveSecret(`file:${file}`, {})).toBe('s3cret');
  });

  it('fails closed on a missing variable, a group-readable file, a missing file or an empty secret', async () => {
    await expect(resolveSecret('env:NOPE', {})).rejects.toThrow(
      /secret env:NOPE: environment variable NOPE is not set/,
    );
    const file = join(tmp(), 'secret');
    writeFileSync(file, 's3cret', { mode: 0o600 });
    chmodSync(file, 0o644);
    const err = await resolveSecret(`file:${file}`, {}).then(
      () => new Error('resolved') as Error & { hint?: string },
      (e: unknown) => e as Error & { hint?: string },
    );
    expect(err.message).toMatch(/readable or writable by group\/others \(mode 0644\)/);
    expect(err.message).not.toContain('s3cret');
    expect(err.hint).toBe(`Run: chmod 600 ${file}`);
    await expect(resolveSecret(`file:${file}.missing`, {})).rejects.toThrow(/does not exist/);
    await expect(resolveSecret('env:EMPTY', { EMPTY: ' ' })).rejects.toThrow(/empty/);
    await expect(resolveSecret('vault:x', {})).rejects.toThrow(/unknown reference kind/);
  });

  it('keychain: either finds the entry or fails with a clear error (never silently empty)', async () => {
    const result = await resolveSecret('keychain:guard-test-nonexistent/none', {}).then(
      () => 'found',
      (e: unknown) => (e as Error).message,
    );
    expect(result).toMatch(
      /^secret keychain:guard-test-nonexistent\/none: (no such keychain entry|the OS keychain is unavailable|the OS keychain module)/,
    );
  });
});

describe('createChannels: config → running channels', () => {
  it('builds a callback webhook on the shared listener and a decision flows back', async () => {
    const secretFile = join(tmp(), 'ops.secret');
    writeFileSync(secretFile, 'cb-secret', { mode: 0o600 });
    const receiver = new Receiver('cb-secret', () => ({ status: 200, body: '' }));
    await receiver.start();
    const text = `channels:\n  retry: {attempts: 2, base_ms: 10, max_ms: 20}\n  http_listener: {bind: 127.0.0.1, port: 0}\n  webhooks:\n    - {name: ops, url: "${receiver.url}/h", secret_ref: "file:${secretFile}", mode: callback}\n  teams: {workflow_url_ref: "env:FLOW", mode: notify}\n`;
    const channels = await createChannels(loadChannelsConfig(text, 'config.yaml'), {
      FLOW: `${receiver.url}/flow?sig=x`,
    });
    expect(channels.map((c) => c.name)).toEqual(['webhook:ops', 'teams']);
    const host = new TestHost();
    for (const c of channels) {
      await c.start(host);
      stops.push(c);
    }
    await channels[0]?.notify(view());
    const callbackUrl = receiver.received[0]?.json?.['callback_url'] as string;
    const res = await postCallback(
      callbackUrl,
      'cb-secret',
      JSON.stringify({ request_id: 'r-1', action: 'approve', approver: 'bob' }),
    );
    expect(res.status).toBe(200);
    await until(() => host.decisions.length === 1, 'decision');
    expect(host.decisions[0]?.identity).toEqual({ channel: 'webhook', id: 'bob', verifiedBy: 'webhook:ops' });
    await receiver.stop();
  });

  it('marks a channel whose secret is missing as failed: it never starts, delivers nothing, reports why', async () => {
    const text = 'channels:\n  teams: {workflow_url_ref: "env:FLOW", mode: notify}\n';
    const [teams, ...rest] = await createChannels(loadChannelsConfig(text, 'c.yaml'), {});
    expect(rest).toEqual([]);
    expect(teams!.name).toBe('teams');
    await expect(teams!.start(new TestHost())).rejects.toThrow(/secret env:FLOW/);
    expect(teams!.status().ok).toBe(false);
    expect(teams!.status().detail).toMatch(/^not running: secret env:FLOW: /);
  });
});
