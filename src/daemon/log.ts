/**
 * The daemon log (GUARD_HOME/daemon.log, 0600). Lines carry ids, states and error messages only:
 * never argv, environment values or passphrases.
 */
import { appendFileSync, chmodSync, closeSync, openSync } from 'node:fs';
import { redactText } from '../redact/index.js';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Last line of defence: an error message may quote a path or text that carries a secret. */
function withoutSecrets(message: string): string {
  try {
    return redactText(message).value;
  } catch {
    return '[message withheld: it could not be checked for secrets]';
  }
}

export function fileLogger(path: string, echo?: NodeJS.WritableStream): Logger {
  try {
    closeSync(openSync(path, 'a', 0o600));
    chmodSync(path, 0o600);
  } catch {
    // reported on first write
  }
  const write = (level: string, message: string): void => {
    const line = `${new Date().toISOString()} ${level} ${withoutSecrets(message).replace(/\n/g, '\\n')}\n`;
    try {
      appendFileSync(path, line);
    } catch {
      // logging must never take the daemon down
    }
    echo?.write(line);
  };
  return {
    info: (m) => write('info', m),
    warn: (m) => write('warn', m),
    error: (m) => write('error', m),
  };
}
