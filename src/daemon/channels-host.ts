/**
 * Channels in the daemon: loaded from GUARD_HOME/config.yaml when it exists, started with the
 * daemon as their ChannelHost, told about every new request and every change. A channel that
 * fails is logged and recorded (`channel_error`); it never takes the daemon down.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createChannels, loadChannelsConfig } from '../channels/index.js';
import { failedChannel } from '../channels/failed.js';
import type { Channel, ChannelHost, RequestView } from '../channels/types.js';
import type { LedgerWriter } from '../ledger/types.js';
import type { Logger } from './log.js';
import { messageOf } from '../errors.js';

export async function startChannels(
  configFile: string,
  env: NodeJS.ProcessEnv,
  host: ChannelHost,
  log: Logger,
  ledger: LedgerWriter,
): Promise<Channel[]> {
  if (!existsSync(configFile)) return [];
  const text = readFileSync(configFile, 'utf8');
  const config = loadChannelsConfig(text, configFile);
  const channels = await createChannels(config, env);
  // `hub:` (docs/hub.md): the link to a guard hub is one more channel, loaded only when configured
  if (/^hub:/m.test(text))
    channels.push(...(await (await import('../hub/link.js')).hubLinkFor(text, configFile, env, ledger)));
  const started: Channel[] = [];
  for (const ch of channels) {
    try {
      await ch.start(host);
      started.push(ch);
      log.info(`channel ${ch.name} started`);
    } catch (err) {
      await recordChannelError(ledger, log, ch.name, 'start', err);
      // kept, as failing, so that status and doctor report it; it delivers nothing
      started.push(failedChannel(ch.name, err));
    }
  }
  return started;
}

export async function recordChannelError(
  ledger: LedgerWriter,
  log: Logger,
  channel: string,
  op: string,
  err: unknown,
): Promise<void> {
  const message = messageOf(err);
  log.error(`channel ${channel} ${op} failed: ${message}`);
  try {
    await ledger.append('channel_error', { channel, op, error: message });
  } catch (lerr) {
    log.error(`cannot record channel_error: ${(lerr as Error).message}`);
  }
}

/** Deliver a view to every channel without waiting on them (delivery has its own retries). */
export function fanOut(
  channels: Channel[],
  view: RequestView,
  kind: 'notify' | 'update',
  ledger: LedgerWriter,
  log: Logger,
): void {
  for (const ch of channels) {
    let p: Promise<void>;
    try {
      p = kind === 'notify' ? ch.notify(view) : ch.update(view);
    } catch (err) {
      p = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    p.catch((err: unknown) => recordChannelError(ledger, log, ch.name, kind, err));
  }
}
