/**
 * A configured channel that could not be built or started (e.g. its secret reference names an
 * unset variable). It stays in the daemon's list so `guard daemon status` and `guard doctor`
 * report it as failing; it delivers nothing, and every other surface keeps working.
 */
import type { Channel } from './types.js';

export function failedChannel(name: string, error: unknown): Channel {
  const err = error instanceof Error ? error : new Error(String(error));
  return {
    name,
    start: () => Promise.reject(err),
    notify: () => Promise.resolve(),
    update: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    status: () => ({ ok: false, detail: `not running: ${err.message}` }),
  };
}
