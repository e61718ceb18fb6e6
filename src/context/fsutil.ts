import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** Config files larger than this are not ours to parse (a garbage or hostile file). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * A small text file, or undefined when missing, unreadable, too big or binary. Never throws.
 * Read synchronously: these are a handful of tiny files on the exec client's start-up path, where
 * a thread-pool round trip per file costs more than the read.
 */
export async function readSmall(path: string, max = MAX_CONFIG_BYTES): Promise<string | undefined> {
  let fd: number | undefined;
  try {
    // O_NONBLOCK: a FIFO planted where a config file should be must not hang the client
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > max) return undefined;
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, got);
      if (n === 0) break;
      got += n;
    }
    const data = buf.subarray(0, got);
    if (data.includes(0)) return undefined;
    return data.toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Minimal INI reader (git config, AWS and gcloud config): section → key → value (last wins). */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[([^\]]{1,200})\]$/.exec(line);
    if (sec !== null) {
      section = sec[1]!.trim();
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim().toLowerCase();
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    let m = out.get(section);
    if (m === undefined) out.set(section, (m = new Map<string, string>()));
    m.set(key, value);
  }
  return out;
}

/** The value of `--name X` or `--name=X` (or any alias) in argv; the last one wins. */
export function flagValue(argv: string[], names: string[]): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    for (const n of names) {
      if (a === n && i + 1 < argv.length) found = argv[i + 1];
      else if (n.startsWith('--') && a.startsWith(`${n}=`)) found = a.slice(n.length + 1);
      else if (n.length === 2 && a.startsWith(n) && a.length > 2 && !a.startsWith('--')) found = a.slice(2);
    }
  }
  return found === '' ? undefined : found;
}

/** Put defined fields only, so that results never carry `key: undefined`. */
export function defined<T extends object>(o: T): T | undefined {
  const entries = Object.entries(o).filter(([, v]) => v !== undefined && v !== '');
  return entries.length === 0 ? undefined : (Object.fromEntries(entries) as T);
}
