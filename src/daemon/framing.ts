/**
 * Wire framing for the daemon socket: a 4-byte big-endian length, then that many bytes of UTF-8
 * JSON. A frame larger than MAX_FRAME_BYTES is refused before its body is buffered, so a client
 * cannot make the daemon hold more than one bounded frame per connection.
 *
 * Data frames (enforced mode's stdio, decision 1023) set the length's top bit; their body is a
 * kind byte, the u32 id of the `exec_run` message they belong to, then raw bytes. Only a reader
 * built with `data: true` accepts them; to any other they are an oversized frame, as before.
 *
 * Deliberately dependency-free: the exec client loads this file on its hot path.
 */
export const MAX_FRAME_BYTES = 1024 * 1024;
const HEADER = 4;

export class FrameError extends Error {
  constructor(
    message: string,
    readonly code: 'oversized' | 'malformed',
  ) {
    super(message);
    this.name = 'FrameError';
  }
}

/** Top bit of a frame's length: the body is a DataFrame, not JSON. */
const DATA_FLAG = 0x80000000;
const DATA_HEAD = 5;
/** Stdio kinds of a data frame: the command's stdin (client to daemon), stdout and stderr. */
export type DataKind = 0 | 1 | 2;
/** Largest stdio chunk a data frame carries (a pipe read is at most this). */
export const DATA_CHUNK = 64 * 1024;
/** Stdin bytes a client may have sent that the command has not yet taken (the daemon grants more). */
export const STDIN_WINDOW = 1024 * 1024;
/** Output bytes the daemon queues on a client's socket before it stops reading the command's pipes. */
export const OUTPUT_WINDOW = 256 * 1024;

export class DataFrame {
  constructor(
    readonly kind: number,
    readonly re: number,
    readonly data: Buffer,
  ) {}
}

/** The 9 bytes that precede `length` bytes of stdio data (written next, without a copy). */
export function dataHeader(kind: DataKind, re: number, length: number): Buffer {
  const h = Buffer.allocUnsafe(HEADER + DATA_HEAD);
  h.writeUInt32BE((DATA_FLAG | (DATA_HEAD + length)) >>> 0, 0);
  h.writeUInt8(kind, 4);
  h.writeUInt32BE(re >>> 0, 5);
  return h;
}

export function encodeFrame(message: unknown, max = MAX_FRAME_BYTES): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length > max)
    throw new FrameError(`message of ${body.length} bytes exceeds the ${max}-byte limit`, 'oversized');
  const frame = Buffer.allocUnsafe(HEADER + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, HEADER);
  return frame;
}

/**
 * Accumulates chunks (a chunk may hold part of a frame, or several frames) and yields parsed
 * JSON values (and DataFrame instances, when built with `data: true`). Throws FrameError on an oversized length or a body that is not JSON; the caller
 * must then drop the connection, since the stream can no longer be resynchronised.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(
    private readonly max = MAX_FRAME_BYTES,
    private readonly opts: { data?: boolean } = {},
  ) {}

  /** Bytes held of a frame not yet complete. */
  get pending(): number {
    return this.buffered;
  }

  push(chunk: Buffer): unknown[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: unknown[] = [];
    for (;;) {
      if (this.buffered < HEADER) return out;
      const head = this.peek(HEADER);
      const word = head.readUInt32BE(0);
      const data = this.opts.data === true && (word & DATA_FLAG) !== 0;
      const len = data ? word - DATA_FLAG : word;
      if (data && len < DATA_HEAD) throw new FrameError('data frame without its header', 'malformed');
      if (len > this.max) throw new FrameError(`frame of ${len} bytes exceeds the ${this.max}-byte limit`, 'oversized');
      if (this.buffered < HEADER + len) return out;
      const all = this.take(HEADER + len);
      if (data) {
        out.push(new DataFrame(all.readUInt8(HEADER), all.readUInt32BE(HEADER + 1), all.subarray(HEADER + DATA_HEAD)));
        continue;
      }
      const text = all.subarray(HEADER).toString('utf8');
      try {
        out.push(JSON.parse(text));
      } catch {
        throw new FrameError('frame body is not valid JSON', 'malformed');
      }
    }
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!.subarray(0, n);
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined.subarray(0, n);
  }

  private take(n: number): Buffer {
    const joined = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const taken = joined.subarray(0, n);
    const rest = joined.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return taken;
  }
}
