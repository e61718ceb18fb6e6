/**
 * Wire framing for the daemon socket: a 4-byte big-endian length, then that many bytes of UTF-8
 * JSON. A frame larger than MAX_FRAME_BYTES is refused before its body is buffered, so a client
 * cannot make the daemon hold more than one bounded frame per connection.

 * (Enforced mode's stdio travels on the client's own stream connections, decision 1027, not in
 * frames: a length with the top bit set is simply an oversized frame.)
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
 * JSON values. Throws FrameError on an oversized length or a body that is not JSON; the caller
 * must then drop the connection, since the stream can no longer be resynchronised.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly max = MAX_FRAME_BYTES) {}

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
      const len = head.readUInt32BE(0);
      if (len > this.max) throw new FrameError(`frame of ${len} bytes exceeds the ${this.max}-byte limit`, 'oversized');
      if (this.buffered < HEADER + len) return out;
      const text = this.take(HEADER + len)
        .subarray(HEADER)
        .toString('utf8');
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
