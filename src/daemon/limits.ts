/**
 * What one peer may cost the daemon. Idle and half-sent connections are closed; under pressure the
 * connection idle longest makes room for a new one, so idle sockets cannot exhaust file descriptors
 * and stalled frames cannot exhaust memory. None of this touches a peer that has work in progress
 * (a message being answered, a command waiting for approval or running, a subscription): no clock
 * decides the fate of a legitimate request.
 */
import { readFileSync } from 'node:fs';

export interface ConnectionLimits {
  /** Close a connection with nothing in progress after this long without a message. */
  idleMs: number;
  /** Close a connection whose frame has been incomplete for this long. */
  partialFrameMs: number;
  /** Bytes of incomplete frames held across all connections. */
  maxBufferedBytes: number;
  /** Open connections; at the bound the longest-idle connection is closed to make room. */
  maxConnections: number;
}

const FD_RESERVE = 128; // ledger, state db, policy watchers, log, channel sockets

/** The soft limit on open files, from /proc (Linux); undefined where it cannot be read. */
export function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m === null) return undefined;
    return m[1] === 'unlimited' ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/**
 * Defaults, each overridable from the daemon's environment (set by whoever starts the daemon —
 * in hardened mode the service unit, out of the agent's reach).
 */
export function connectionLimits(env: NodeJS.ProcessEnv, fdLimit = openFileLimit()): ConnectionLimits {
  const byFds = fdLimit === undefined ? 4096 : Math.max(16, fdLimit - FD_RESERVE);
  return {
    idleMs: seconds(env, 'GUARD_DAEMON_IDLE_SECONDS', 600) * 1000,
    partialFrameMs: seconds(env, 'GUARD_DAEMON_PARTIAL_FRAME_SECONDS', 30) * 1000,
    maxBufferedBytes: seconds(env, 'GUARD_DAEMON_MAX_BUFFERED_MIB', 64) * 1024 * 1024,
    maxConnections: Math.min(4096, byFds, seconds(env, 'GUARD_DAEMON_MAX_CONNECTIONS', 4096)),
  };
}
