import { UsageError } from '../errors.js';

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** Parse `90`, `90s`, `15m`, `2h`, `1d`, `1h30m` into seconds. */
export function parseDuration(text: string, flag = '--timeout'): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return check(Number(t), text, flag);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(t); m !== null; m = re.exec(t)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    consumed = re.lastIndex;
  }
  if (consumed !== t.length || consumed === 0)
    throw new UsageError(`${flag}: cannot read "${text}" as a duration`, { hint: 'use e.g. 30s, 15m, 2h, 1h30m' });
  return check(total, text, flag);
}

function check(seconds: number, text: string, flag: string): number {
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`${flag}: "${text}" must be a positive duration`);
  if (seconds > 7 * 86400) throw new UsageError(`${flag}: "${text}" is longer than 7 days`);
  return seconds;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''}`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}h${m ? `${m}m` : ''}`;
}
