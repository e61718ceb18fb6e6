import { readFileSync } from 'node:fs';

/**
 * Recover the exact bytes of the last `argv.length` process arguments from /proc/self/cmdline.
 * Node decodes argv lossily (invalid UTF-8 becomes U+FFFD); the kernel's copy is exact.
 * Returns undefined when unavailable or when the two views do not line up.
 */
export function readRawArgv(argv: readonly string[]): Buffer[] | undefined {
  let data: Buffer;
  try {
    data = readFileSync('/proc/self/cmdline');
  } catch {
    return undefined;
  }
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 0) {
      parts.push(data.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < data.length) parts.push(data.subarray(start));
  if (parts.length < argv.length) return undefined;
  const tail = parts.slice(parts.length - argv.length);
  for (let i = 0; i < argv.length; i++) {
    if (tail[i]!.toString('utf8') !== argv[i]) return undefined;
  }
  return tail;
}

/** True when the bytes are not exactly what Node's UTF-8 encoding of the decoded string gives. */
export function isLossy(raw: Buffer, decoded: string): boolean {
  return !raw.equals(Buffer.from(decoded, 'utf8'));
}
