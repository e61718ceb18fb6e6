/**
 * Builds the configured channels (the daemon's loader): resolves secrets, shares one HTTP listener
 * among callback webhooks, and loads each channel's module only when it is configured.
 */
import { DEFAULT_RETRY, type RetryPolicy } from './delivery.js';
import type { ChannelsConfig } from './config.js';
import { HttpListener } from './http-listener.js';
import { failedChannel } from './failed.js';
import { resolveSecret } from './secrets.js';
import type { Channel } from './types.js';

/** Build one channel; one that cannot be built (a secret that does not resolve) is marked failed. */
async function build(name: string, make: () => Promise<Channel>): Promise<Channel> {
  try {
    return await make();
  } catch (err) {
    return failedChannel(name, err);
  }
}

export async function createChannels(config: ChannelsConfig, env: NodeJS.ProcessEnv): Promise<Channel[]> {
  const retry: RetryPolicy =
    config.retry === undefined
      ? DEFAULT_RETRY
      : { attempts: config.retry.attempts, baseMs: config.retry.base_ms, maxMs: config.retry.max_ms };
  const channels: Channel[] = [];
  const listener =
    config.http_listener === undefined
      ? undefined
      : new HttpListener({
          bind: config.http_listener.bind,
          port: config.http_listener.port,
          publicUrl: config.http_listener.public_url,
        });
  if (config.slack !== undefined) {
    const s = config.slack;
    channels.push(
      await build('slack', async () => {
        // Loaded only when configured: the Slack SDK (undici, WebSocket) is the heaviest dependency here.
        const { SlackChannel } = await import('./slack/channel.js');
        return new SlackChannel({
          appToken: await resolveSecret(s.app_token_ref, env),
          botToken: await resolveSecret(s.bot_token_ref, env),
          channelId: s.channel_id,
          apiUrl: s.api_url,
          userMap: s.user_map,
          retry,
        });
      }),
    );
  }
  const { WebhookChannel } = await import('./webhook/channel.js');
  for (const w of config.webhooks) {
    channels.push(
      await build(
        `webhook:${w.name}`,
        async () =>
          new WebhookChannel({
            name: w.name,
            url: w.url,
            secret: await resolveSecret(w.secret_ref, env),
            mode: w.mode,
            retry,
            allowInsecureHttp: w.allow_insecure_http ?? false,
            listener,
            ...(w.poll_interval_seconds === undefined ? {} : { pollIntervalMs: w.poll_interval_seconds * 1000 }),
          }),
      ),
    );
  }
  if (config.web !== undefined && listener !== undefined) {
    const web = config.web;
    channels.push(
      await build('web', async () => {
        const { WebApprovalChannel } = await import('../web/channel.js');
        return new WebApprovalChannel({ listener, env, sessionMinutes: web.session_minutes });
      }),
    );
  }
  if (config.teams !== undefined) {
    const t = config.teams;
    channels.push(
      await build('teams', async () => {
        const { TeamsChannel } = await import('./teams/channel.js');
        return new TeamsChannel({
          workflowUrl: await resolveSecret(t.workflow_url_ref, env),
          mode: t.mode,
          retry,
          allowInsecureHttp: t.allow_insecure_http ?? false,
          scopeChoice: t.scope_choice ?? false,
          grantActions: t.grant_actions ?? false,
          ...(t.poll_interval_seconds === undefined ? {} : { pollIntervalMs: t.poll_interval_seconds * 1000 }),
        });
      }),
    );
  }
  return channels;
}
