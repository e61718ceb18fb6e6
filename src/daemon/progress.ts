/**
 * Is a starting daemon getting anywhere? A fixed wall-clock bound fails a daemon that is merely
 * slow on a busy machine, so start-up is judged by progress instead: a step reported on the
 * readiness pipe, or CPU time the process has used (Linux: /proc/PID/stat). A daemon counts as
 * stuck only when neither moved for STALL_MS, or when it has burnt START_CPU_MAX_MS of CPU without
 * becoming ready. See docs/decisions/0007.
 */
import { readFileSync } from 'node:fs';

/** No step and no CPU used for this long: the daemon waits on something that will not come. */
export const STALL_MS = 30_000;
/** A start-up costs well under a second of CPU; this much means it is spinning. */
export const START_CPU_MAX_MS = 60_000;

const TICK_MS = 1000 / 100; // USER_HZ is 100 on every Linux guard supports

/** CPU time (user + system) a process has used, or undefined when it cannot be read. */
export function cpuTimeMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: count fields after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) * TICK_MS : undefined;
  } catch {
    return undefined;
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface Progress {
  /** A step was reported. */
  step(name: string): void;
  /** Undefined while the process makes progress; otherwise why it is considered stuck. */
  stuck(): string | undefined;
  readonly lastStep: string;
}

/** Watch a starting process; `now` is injectable so the rule can be tested without waiting. */
export function watchProgress(
  pid: number,
  opts: { stallMs?: number; cpuMaxMs?: number; now?: () => number; cpu?: (pid: number) => number | undefined } = {},
): Progress {
  const now = opts.now ?? Date.now;
  const cpu = opts.cpu ?? cpuTimeMs;
  const stallMs = opts.stallMs ?? STALL_MS;
  const cpuMaxMs = opts.cpuMaxMs ?? START_CPU_MAX_MS;
  let lastStep = 'launched';
  let movedAt = now();
  let lastCpu = cpu(pid);
  return {
    get lastStep() {
      return lastStep;
    },
    step(name) {
      lastStep = name;
      movedAt = now();
    },
    stuck() {
      const used = cpu(pid);
      if (used !== undefined && used >= cpuMaxMs)
        return `it used ${Math.round(used / 1000)} s of CPU without becoming ready (last step: ${lastStep})`;
      if (used !== undefined && (lastCpu === undefined || used > lastCpu)) {
        lastCpu = used;
        movedAt = now();
      }
      const idle = now() - movedAt;
      if (idle >= stallMs) return `it made no progress for ${Math.round(idle / 1000)} s (last step: ${lastStep})`;
      return undefined;
    },
  };
}
