/** The Slack scope menu's tests (the daemon's Slack and the hub's): a request's post, a click, a section's scope text. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rig, type LedgerRow } from '../daemon/helpers.js';
import { APP_TOKEN, BOT_TOKEN, FakeSlack } from './fake-slack.js';
import { until } from './helpers.js';

/** The local Slack server and a real daemon posting to `channel` under `policy`, alice enrolled as `aliceId`. */
export async function slackRig(
  policy: string,
  channel: string,
  aliceId: string,
): Promise<{ rig: Rig; slack: FakeSlack }> {
  const slack = new FakeSlack();
  await slack.start();
  const rig = new Rig(policy, { GUARD_SLACK_APP_TOKEN: APP_TOKEN, GUARD_SLACK_BOT_TOKEN: BOT_TOKEN });
  mkdirSync(rig.env['GUARD_HOME']!, { recursive: true, mode: 0o700 });
  writeFileSync(
    join(rig.env['GUARD_HOME']!, 'config.yaml'),
    `channels:\n  slack:\n    app_token_ref: env:GUARD_SLACK_APP_TOKEN\n    bot_token_ref: env:GUARD_SLACK_BOT_TOKEN\n    channel_id: ${channel}\n    api_url: ${slack.apiUrl}\n`,
  );
  await rig.enroll('alice', ['ops'], undefined, ['--slack-user-id', aliceId]);
  await rig.startDaemon();
  return { rig, slack };
}

export interface SlackBlock {
  type: string;
  block_id?: string;
  text?: { text: string };
  elements?: { action_id?: string }[];
  accessory?: { action_id: string; value: string; text: { text: string } };
}

/** The post naming `key`: its blocks and message ts (the fake numbers messages in order). */
export async function postOf(slack: FakeSlack, key: string): Promise<{ blocks: SlackBlock[]; ts: string }> {
  const index = () => slack.callsOf('chat.postMessage').findIndex((c) => JSON.stringify(c.args).includes(key));
  await until(() => index() >= 0, `the Slack post of ${key}`, 60_000);
  const call = slack.callsOf('chat.postMessage')[index()]!;
  return { blocks: call.args['blocks'] as SlackBlock[], ts: `${1_700_000_001 + index()}.000100` };
}

/** A button click by `user` on the message `ts` in `channel`. */
export function clickAs(
  slack: FakeSlack,
  user: { id: string; team_id: string },
  channel: string,
  ts: string,
  actionId: string,
  value: string,
): void {
  slack.sendInteractive({
    type: 'block_actions',
    user,
    team: { id: user.team_id, domain: 'acme' },
    api_app_id: 'A1',
    trigger_id: `trigger-${Math.random()}`,
    container: { type: 'message', message_ts: ts, channel_id: channel, is_ephemeral: false },
    channel: { id: channel, name: 'approvals' },
    actions: [{ type: 'button', action_id: actionId, block_id: 'b', value, action_ts: '1' }],
  });
}

/** The scope text a section shows, as plain text (code fences, zero-width spaces and entities undone). */
export const shownText = (b: SlackBlock): string =>
  (b.text?.text ?? '')
    .replace(/^\*[^*]+:\* /, '')
    .replace(/^```([^]*)```$|^`([^`]*)`$/, '$1$2')
    .replace(/\u200b/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** The ledger records of one type about one request. */
export const recordsOf = (recs: LedgerRow[], id: string, type: string): LedgerRow[] =>
  recs.filter((r) => r.type === type && r.payload['requestId'] === id);

/** The text of the `n`th ephemeral message posted (1-based), once it is. */
export async function ephemeralText(slack: FakeSlack, n: number): Promise<string> {
  await until(() => slack.callsOf('chat.postEphemeral').length >= n, `${n} ephemeral messages`);
  return String(slack.callsOf('chat.postEphemeral')[n - 1]!.args['text']);
}
