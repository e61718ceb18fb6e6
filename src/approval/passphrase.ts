/**
 * Passphrases come from a terminal prompt (echo off) or from a file / file descriptor named
 * explicitly on the command line. Never from an environment variable: the agent's environment is
 * exactly what must not be able to carry it.
 */
import { closeSync, createReadStream, openSync, readFileSync, readSync } from 'node:fs';
import { UsageError } from '../errors.js';

export interface PassphraseOptions {
  passphraseFile?: string | undefined;
  passphraseFd?: number | undefined;
  tty: boolean;
  prompt: string;
  stdin: NodeJS.ReadableStream;
  stderr: NodeJS.WritableStream;
}

const MAX = 64 * 1024;

export async function readPassphrase(opts: PassphraseOptions): Promise<Buffer> {
  if (opts.passphraseFile !== undefined && opts.passphraseFd !== undefined)
    throw new UsageError('give either a passphrase file or a passphrase fd, not both');
  if (opts.passphraseFile !== undefined) return nonEmpty(trimNewline(readFromFile(opts.passphraseFile)));
  if (opts.passphraseFd !== undefined) return nonEmpty(trimNewline(await readFromFd(opts.passphraseFd)));
  if (opts.tty) return nonEmpty(await promptNoEcho(opts));
  throw new UsageError('no terminal to ask for the passphrase', {
    hint: 'pass it explicitly with --passphrase-file FILE or --passphrase-fd N (environment variables are never read)',
  });
}

function readFromFile(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new UsageError(`cannot read the passphrase file ${path}: ${(err as Error).message}`);
  }
  try {
    const buf = readFileSync(fd);
    if (buf.length > MAX) throw new UsageError(`the passphrase file ${path} is larger than ${MAX} bytes`);
    return buf;
  } finally {
    closeSync(fd);
  }
}

async function readFromFd(fd: number): Promise<Buffer> {
  if (!Number.isSafeInteger(fd) || fd < 0) throw new UsageError(`invalid passphrase fd ${fd}`);
  if (fd <= 2)
    throw new UsageError(`refusing to read the passphrase from fd ${fd} (stdin/stdout/stderr)`, {
      hint: 'use a separate descriptor, e.g. --passphrase-fd 3 3<file',
    });
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    // Regular files and blocking pipes: read synchronously. Non-blocking pipes fall back to a stream.
    const buf = Buffer.alloc(4096);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      size += n;
      if (size > MAX) throw new UsageError(`more than ${MAX} bytes on passphrase fd ${fd}`);
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    buf.fill(0);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EAGAIN') throw new UsageError(`cannot read passphrase fd ${fd}: ${(err as Error).message}`);
    for await (const chunk of createReadStream('', { fd, autoClose: false })) {
      size += (chunk as Buffer).length;
      if (size > MAX) throw new UsageError(`more than ${MAX} bytes on passphrase fd ${fd}`);
      chunks.push(chunk as Buffer);
    }
  }
  const out = Buffer.concat(chunks);
  for (const c of chunks) c.fill(0);
  return out;
}

/** Drop one trailing newline (files written by `echo` have one); keep everything else. */
function trimNewline(buf: Buffer): Buffer {
  let end = buf.length;
  if (end > 0 && buf[end - 1] === 0x0a) end--;
  if (end > 0 && buf[end - 1] === 0x0d) end--;
  const out = Buffer.from(buf.subarray(0, end));
  buf.fill(0);
  return out;
}

function nonEmpty(buf: Buffer): Buffer {
  if (buf.length === 0) throw new UsageError('the passphrase is empty');
  return buf;
}

interface RawTty {
  setRawMode?: (mode: boolean) => unknown;
  isRaw?: boolean;
}

/** Read one line with echo off. Backspace edits, Ctrl-C cancels, Enter or Ctrl-D ends. */
function promptNoEcho(opts: PassphraseOptions): Promise<Buffer> {
  const tty = opts.stdin as NodeJS.ReadableStream & RawTty;
  if (typeof tty.setRawMode !== 'function')
    throw new UsageError('cannot turn off echo on this input, so the passphrase is not read from it', {
      hint: 'use --passphrase-file FILE or --passphrase-fd N',
    });
  const wasRaw = tty.isRaw === true;
  const bytes: number[] = [];
  tty.setRawMode(true); // echo off before the prompt invites typing
  opts.stderr.write(opts.prompt);
  return new Promise<Buffer>((resolve, reject) => {
    const finish = (err: Error | undefined) => {
      opts.stdin.removeListener('data', onData);
      opts.stdin.removeListener('end', onEnd);
      opts.stdin.pause();
      tty.setRawMode?.(wasRaw);
      opts.stderr.write('\n');
      const out = Buffer.from(bytes);
      bytes.fill(0);
      if (err !== undefined) reject(err);
      else resolve(out);
    };
    const onEnd = () => finish(undefined);
    const onData = (chunk: Buffer | string) => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      for (const b of buf) {
        if (b === 0x0d || b === 0x0a || b === 0x04) return finish(undefined);
        if (b === 0x03) return finish(new UsageError('cancelled at the passphrase prompt'));
        if (b === 0x7f || b === 0x08) {
          // drop the last UTF-8 character: its continuation bytes and lead byte
          while (bytes.length > 0 && ((bytes[bytes.length - 1] ?? 0) & 0xc0) === 0x80) bytes.pop();
          bytes.pop();
          continue;
        }
        bytes.push(b);
        if (bytes.length > MAX) return finish(new UsageError('the passphrase is too long'));
      }
    };
    opts.stdin.on('data', onData);
    opts.stdin.on('end', onEnd);
    opts.stdin.resume();
  });
}
