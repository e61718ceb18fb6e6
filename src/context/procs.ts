import { readFile } from 'node:fs/promises';

export interface ProcInfo {
  pid: number;
  /** /proc/<pid>/comm (the kernel's short name, ≤ 15 chars). */
  name: string;
  /** Basenames of argv[0] and argv[1] (a node or python script shows its script here). */
  args: string[];
}

const MAX_PARENTS = 10;

async function readProc(pid: number): Promise<{ info: ProcInfo; ppid: number } | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses: the state field follows the LAST ')'
    const close = stat.lastIndexOf(')');
    const open = stat.indexOf('(');
    if (open < 0 || close < open) return undefined;
    const fields = stat.slice(close + 2).split(' ');
    const ppid = Number(fields[1]);
    if (!Number.isInteger(ppid)) return undefined;
    const cmdline = await readFile(`/proc/${pid}/cmdline`).catch(() => Buffer.alloc(0));
    const args = cmdline
      .subarray(0, 4096)
      .toString('utf8')
      .split('\0')
      .slice(0, 2)
      .filter((a) => a !== '')
      .map((a) => a.slice(a.lastIndexOf('/') + 1));
    return { info: { pid, name: stat.slice(open + 1, close), args }, ppid };
  } catch {
    return undefined;
  }
}

/** The parent chain of `pid` (nearest first, at most 10), from /proc. Empty where /proc is missing. */
export async function parentChain(pid: number): Promise<ProcInfo[]> {
  const out: ProcInfo[] = [];
  const self = await readProc(pid);
  let next = self?.ppid ?? 0;
  const seen = new Set<number>([pid]);
  while (next > 0 && out.length < MAX_PARENTS && !seen.has(next)) {
    seen.add(next);
    const p = await readProc(next);
    if (p === undefined) break;
    out.push(p.info);
    next = p.ppid;
  }
  return out;
}

/** The terminal device of the process's stdin (/dev/pts/N), if it has one. */
export async function ttyOf(pid: number): Promise<string | undefined> {
  try {
    const { readlink } = await import('node:fs/promises');
    const target = await readlink(`/proc/${pid}/fd/0`);
    return /^\/dev\/(?:pts\/\d+|tty\w*)$/.test(target) ? target : undefined;
  } catch {
    return undefined;
  }
}
