/**
 * Routes the Slack SDK's warnings and errors to host.log (the daemon records errors); debug and
 * info (which include payloads) are dropped. Anything token-shaped is masked first.
 */
import { LogLevel, type Logger } from '@slack/web-api';
import { messageOf } from '../../errors.js';

const TOKEN = /xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+/g;

export function sdkLogger(sink: (level: 'warn' | 'error', message: string) => void): Logger {
  let level = LogLevel.WARN;
  const text = (msg: unknown[]): string =>
    msg
      .map((m) => messageOf(m))
      .join(' ')
      .replace(TOKEN, '[token]');
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: (...msg: unknown[]) => sink('warn', `slack sdk: ${text(msg)}`),
    error: (...msg: unknown[]) => sink('error', `slack sdk: ${text(msg)}`),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
