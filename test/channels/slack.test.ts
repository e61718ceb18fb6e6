import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SlackChannel } from '../../src/channels/slack/channel.js';
import type { RequestView } from '../../src/channels/types.js';
import { APP_TOKEN, BOT_TOKEN, FakeSlack } from './fake-slack.js';
import { FAST_RETRY, TestHost, until, view } from './helpers.js';

const CHANNEL = 'C_APPROVALS';
const BOB = { id: 'U_BOB', username: 'bob', name: 'bob', team_id: 'T1' };
const ANA = { id: 'U_ANA', username: 'ana', name: 'ana', team_id: 'T1' };
const EVE = { id: 'U_EVE', username: 'eve', name: 'eve', team_id: 'T1' };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(opts: { host?: TestHost; startSlack?: boolean } = {}) {
  const slack = new FakeSlack();
  await slack.start();
  cleanups.push(() => slack.stop());
  const host = opts.host ?? new TestHost({ U_BOB: 'bob', U_ANA: 'ana' }, ['U_ANA']);
  const channel = new SlackChannel({
    appToken: APP_TOKEN,
    botToken: BOT_TOKEN,
    channelId: CHANNEL,
    apiUrl: slack.apiUrl,
    userMap: { U_BOB: 'bob' },
    retry: FAST_RETRY,
    reconnect: { attempts: 1, baseMs: 50, maxMs: 200 },
  });
  await channel.start(host);
  cleanups.push(() => channel.stop());
  return { slack, host, channel };
}

function blockActions(user: typeof BOB, actionId: string, requestId: string, ts: string): Record<string, unknown> {
  return {
    type: 'block_actions',
    user,
    api_app_id: 'A1',
    team: { id: 'T1', domain: 'acme' },
    container: { type: 'message', message_ts: ts, channel_id: CHANNEL, is_ephemeral: false },
    trigger_id: `trigger-${Math.random()}`,
    channel: { id: CHANNEL, name: 'approvals' },
    actions: [
      {
        type: 'button',
        action_id: actionId,
        block_id: 'guard_actions',
        value: requestId,
        action_ts: String(Date.now() / 1000),
      },
    ],
  };
}

function viewSubmission(
  user: typeof BOB,
  opened: Record<string, unknown>,
  viewId: string,
  text: string,
): Record<string, unknown> {
  return {
    type: 'view_submission',
    team: { id: 'T1', domain: 'acme' },
    user,
    api_app_id: 'A1',
    view: {
      ...opened,
      id: viewId,
      state: { values: { guard_text: { guard_text_input: { type: 'plain_text_input', value: text } } } },
      hash: 'h1',
    },
  };
}

async function posted(slack: FakeSlack, channel: SlackChannel, v: RequestView): Promise<string> {
  await channel.notify(v);
  const call = slack.callsOf('chat.postMessage').at(-1);
  expect(call?.token).toBe(BOT_TOKEN);
  return `${1_700_000_000 + slack.callsOf('chat.postMessage').length}.000100`;
}

type Block = { type: string; text?: { text: string }; elements?: { action_id?: string; text?: string }[] };
const blocksOf = (args: Record<string, unknown>): Block[] => args['blocks'] as Block[];
const sectionTexts = (args: Record<string, unknown>): string[] =>
  blocksOf(args)
    .filter((b) => b.type === 'section')
    .map((b) => b.text?.text ?? '');

describe('slack: Socket Mode round trips through the official clients', () => {
  it('posts the request, and an Approve click reaches the daemon with the verified Slack user id', async () => {
    const { slack, host, channel } = await setup();
    expect(slack.connectionsOpened).toBe(1);
    expect(channel.status().ok).toBe(true);
    const ts = await posted(slack, channel, view());
    const post = slack.callsOf('chat.postMessage')[0]?.args ?? {};
    expect(post['channel']).toBe(CHANNEL);
    const actions = blocksOf(post).find((b) => b.type === 'actions');
    expect(actions?.elements?.map((e) => e.action_id)).toEqual(['guard_approve', 'guard_deny', 'guard_ask']);
    const all = JSON.stringify(post);
    for (const needle of [
      '`ana`',
      '`claude-code`',
      '`laptop-7`',
      '`acme/infra`',
      '`main`',
      '`OPS-42`',
      'tear down staging',
      'infra.teardown',
      'destroys every resource',
      'approvals 0/1',
      'min left',
    ])
      expect(all).toContain(needle);

    const env = slack.sendInteractive(blockActions(BOB, 'guard_approve', 'r-1', ts));
    await until(() => host.decisions.length === 1, 'decision');
    // the ack may follow the decision: wait for it rather than expect it already
    await until(() => slack.acks.some((a) => a.envelope_id === env), 'ack');
    expect(host.decisions[0]).toEqual({
      requestId: 'r-1',
      action: 'approve',
      identity: { channel: 'slack', id: 'U_BOB', display: 'bob', verifiedBy: 'slack:T1' },
    });

    await channel.update(
      view({
        state: 'approved',
        decidedBy: 'bob',
        approvals: [{ approver: 'bob', channel: 'slack', at: new Date().toISOString() }],
      }),
    );
    const upd = slack.callsOf('chat.update')[0]?.args ?? {};
    expect(upd['ts']).toBe(ts);
    expect(blocksOf(upd).some((b) => b.type === 'actions')).toBe(false);
    expect(sectionTexts(upd)[0]).toBe('*✅ Approved* by `bob`');
    expect(JSON.stringify(upd)).toContain('approvals 1/1');
  });

  it('Deny opens a modal asking a reason; the submission denies with that reason', async () => {
    const { slack, host, channel } = await setup();
    const ts = await posted(slack, channel, view());
    slack.sendInteractive(blockActions(BOB, 'guard_deny', 'r-1', ts));
    await until(() => slack.callsOf('views.open').length === 1, 'modal opened');
    const opened = slack.callsOf('views.open')[0]?.args ?? {};
    expect(String(opened['trigger_id'])).toMatch(/^trigger-/);
    const modal = opened['view'] as Record<string, unknown>;
    expect(modal['callback_id']).toBe('guard_deny_modal');
    const env = slack.sendInteractive(viewSubmission(BOB, modal, 'V1', 'not during the freeze'));
    await until(() => host.decisions.length === 1, 'deny');
    await until(() => slack.acks.some((a) => a.envelope_id === env), 'ack');
    expect(host.decisions[0]).toMatchObject({
      requestId: 'r-1',
      action: 'deny',
      reason: 'not during the freeze',
      identity: { id: 'U_BOB' },
    });
  });

  it('Ask opens a modal; the question goes to the daemon and question and `guard reply` land in the thread', async () => {
    const { slack, host, channel } = await setup();
    const ts = await posted(slack, channel, view());
    slack.sendInteractive(blockActions(BOB, 'guard_ask', 'r-1', ts));
    await until(() => slack.callsOf('views.open').length === 1, 'modal opened');
    const modal = slack.callsOf('views.open')[0]?.args['view'] as Record<string, unknown>;
    expect(modal['callback_id']).toBe('guard_ask_modal');
    slack.sendInteractive(viewSubmission(BOB, modal, 'V1', 'which workspace?'));
    await until(() => host.decisions.length === 1, 'ask');
    expect(host.decisions[0]).toMatchObject({ action: 'ask', question: 'which workspace?' });

    await channel.update(view({ state: 'needs_info', question: 'which workspace?' }));
    await channel.update(view({ state: 'needs_info', question: 'which workspace?', reply: 'staging <!here>' }));
    await channel.flush();
    const threaded = slack.callsOf('chat.postMessage').filter((c) => c.args['thread_ts'] === ts);
    expect(threaded.map((c) => c.args['text'])).toEqual([
      '❓ *Question to the requester:* `which workspace?`',
      '💬 *Reply from the requester* (`guard reply`): `staging &lt;!here&gt;`',
    ]);
    const upd = slack.callsOf('chat.update').at(-1)?.args ?? {};
    expect(blocksOf(upd).some((b) => b.type === 'actions')).toBe(true);
  });

  it('refuses an unmapped user and a self-approval with an ephemeral message', async () => {
    const { slack, host, channel } = await setup();
    const ts = await posted(slack, channel, view());
    slack.sendInteractive(blockActions(EVE, 'guard_approve', 'r-1', ts));
    slack.sendInteractive(blockActions(ANA, 'guard_approve', 'r-1', ts));
    await until(() => slack.callsOf('chat.postEphemeral').length === 2, 'two ephemerals');
    const eph = slack.callsOf('chat.postEphemeral').map((c) => [c.args['user'], c.args['channel'], c.args['text']]);
    expect(eph).toContainEqual(['U_EVE', CHANNEL, 'guard: U_EVE is not an enrolled approver']);
    expect(eph).toContainEqual(['U_ANA', CHANNEL, 'guard: four-eyes: you cannot approve your own request']);
    expect(host.decisions).toHaveLength(0);
    expect(host.refusals.map((r) => r.decision.identity.id).sort()).toEqual(['U_ANA', 'U_EVE']);
  });
});

describe('slack: injection through the real client', () => {
  it('posts a hostile command as inert, exact text', async () => {
    const { slack, channel } = await setup();
    await channel.notify(
      view({
        command: 'echo <!channel> <@U0ADMIN> <https://evil.test|Approve here> & ```x```',
        reason: '<!here> *now*',
      }),
    );
    const posted = slack.callsOf('chat.postMessage')[0]?.args ?? {};
    const texts = sectionTexts(posted);
    expect(texts).toContain(
      '*Command*\n```echo &lt;!channel&gt; &lt;@U0ADMIN&gt; &lt;https://evil.test|Approve here&gt; &amp; `\u200b`\u200b`\u200bx`\u200b`\u200b`\u200b```',
    );
    expect(texts.some((t) => t.includes('*Reason:* `&lt;!here&gt; *now*`'))).toBe(true);
    expect(String(posted['text'])).toBe(
      'guard: 🔒 Approval needed (critical) — request r-1 · echo &lt;!channel&gt; &lt;@U0ADMIN&gt; &lt;https://evil.test|Approve here&gt; &amp; ```x```',
    );
    // The only control sequence is our own <!date^…> in the status line.
    expect(JSON.stringify(posted)).not.toMatch(/<(?!!date\^)[!@#]|<https?:/);
  });
});

describe('slack: connection loss and replays', () => {
  it('a dropped socket while pending reconnects and the decision still arrives', async () => {
    const { slack, host, channel } = await setup();
    const ts = await posted(slack, channel, view());
    slack.dropSockets();
    await until(() => slack.connectionsOpened === 2 && slack.openSockets === 1, 'reconnected');
    await until(() => channel.status().ok, 'healthy again');
    expect(channel.status().detail).toContain('2 connects');
    expect(host.logs.some((l) => l.message.includes('connection lost'))).toBe(true);
    slack.sendInteractive(blockActions(BOB, 'guard_approve', 'r-1', ts));
    await until(() => host.decisions.length === 1, 'decision after reconnect');
  });

  it('a `disconnect` message from Slack makes the client reconnect', async () => {
    const { slack, host, channel } = await setup();
    const ts = await posted(slack, channel, view());
    slack.sendDisconnect();
    await until(() => slack.connectionsOpened === 2 && slack.openSockets === 1, 'reconnected');
    slack.sendInteractive(blockActions(BOB, 'guard_approve', 'r-1', ts));
    await until(() => host.decisions.length === 1, 'decision');
  });

  it('Slack unreachable at start: start() returns, status is not ok, and it connects when Slack is back', async () => {
    const slack = new FakeSlack();
    await slack.start();
    cleanups.push(() => slack.stop());
    slack.down = true;
    const host = new TestHost();
    const channel = new SlackChannel({
      appToken: APP_TOKEN,
      botToken: BOT_TOKEN,
      channelId: CHANNEL,
      apiUrl: slack.apiUrl,
      retry: FAST_RETRY,
      reconnect: { attempts: 1, baseMs: 50, maxMs: 100 },
    });
    await channel.start(host);
    cleanups.push(() => channel.stop());
    expect(channel.status().ok).toBe(false);
    expect(channel.status().detail).toContain('reconnecting');
    expect(host.errors().some((e) => /Socket Mode connection attempt 1 failed/.test(e))).toBe(true);
    slack.down = false;
    await until(() => channel.status().ok, 'connected');
  });

  it('the same envelope twice and the same click twice decide once', async () => {
    const { slack, host, channel } = await setup();
    const ts = await posted(slack, channel, view({ quorum: 2 }));
    const payload = blockActions(BOB, 'guard_approve', 'r-1', ts);
    slack.sendInteractive(payload, 'env-dup');
    slack.sendInteractive(payload, 'env-dup');
    slack.sendInteractive(blockActions(BOB, 'guard_approve', 'r-1', ts));
    await until(
      () => slack.acks.length === 3 && slack.callsOf('chat.postEphemeral').length === 1,
      'acks and ephemeral',
    );
    expect(host.decisions).toHaveLength(1);
    expect(slack.callsOf('chat.postEphemeral')[0]?.args['text']).toBe('guard: You already approved request r-1.');
  });

  it('a replayed payload for a request no longer pending is refused without reaching the daemon', async () => {
    const { slack, host, channel } = await setup();
    const ts = await posted(slack, channel, view());
    await channel.update(view({ state: 'expired' }));
    slack.sendInteractive(blockActions(BOB, 'guard_approve', 'r-1', ts));
    await until(() => slack.callsOf('chat.postEphemeral').length === 1, 'ephemeral');
    expect(slack.callsOf('chat.postEphemeral')[0]?.args['text']).toBe(
      'guard: Request r-1 is expired; nothing to decide any more.',
    );
    expect(host.decisions).toHaveLength(0);
    expect(host.refusals).toHaveLength(0);
  });

  it('a request unknown to the channel is still judged by the daemon (which refuses it)', async () => {
    const host = new TestHost({ U_BOB: 'bob' });
    host.decided.add('r-old');
    const { slack } = await setup({ host });
    slack.sendInteractive(blockActions(BOB, 'guard_approve', 'r-old', '1.0'));
    await until(() => slack.callsOf('chat.postEphemeral').length === 1, 'ephemeral');
    expect(slack.callsOf('chat.postEphemeral')[0]?.args['text']).toBe('guard: request r-old is not pending');
  });
});

describe('slack: delivery failures', () => {
  it('retries a failed post with backoff and reports not ok while failing', async () => {
    const { slack, host, channel } = await setup();
    slack.failing.set('chat.postMessage', 10);
    await channel.notify(view());
    expect(slack.callsOf('chat.postMessage')).toHaveLength(3);
    expect(host.errors().filter((e) => e.startsWith('post r-1: attempt'))).toHaveLength(3);
    expect(host.errors().at(-1)).toMatch(/gave up/);
    expect(channel.status().ok).toBe(false);
    expect(JSON.stringify(host.logs)).not.toMatch(/xoxb|xapp/);
    slack.failing.clear();
    await channel.update(view({ state: 'expired' }));
    expect(slack.callsOf('chat.postMessage')).toHaveLength(4);
    expect(channel.status().ok).toBe(true);
  });
});

describe('slack: app manifest', () => {
  it('ships a Socket Mode manifest with interactivity and the scopes the channel uses', () => {
    const manifest = parse(
      readFileSync(new URL('../../channels/slack-app-manifest.yaml', import.meta.url), 'utf8'),
    ) as {
      settings: { socket_mode_enabled: boolean; interactivity: { is_enabled: boolean } };
      oauth_config: { scopes: { bot: string[] } };
    };
    expect(manifest.settings.socket_mode_enabled).toBe(true);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.oauth_config.scopes.bot).toEqual(expect.arrayContaining(['chat:write']));
  });
});
