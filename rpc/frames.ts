/**
 * Incremental splitter for the framed transport: 4-byte big-endian length, then
 * the payload. Chunks are collected and joined only once a whole frame is
 * present. A negative or oversized length is a protocol violation: the caller
 * must drop the connection (there is no way to resynchronise a byte stream).
 */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

export class FrameSplitter {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** bytes needed before the pending frame is complete (avoids re-joining on every small chunk) */
  private needed = 4;
  private readonly maxFrameBytes: number;

  constructor(maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /**
   * Feeds bytes; calls `onFrame(buffer, start, end)` for every complete frame
   * (frames inside one chunk are views into it, not copies; only a frame that
   * straddles chunks is joined). Throws FrameError on a bad length.
   */
  push(chunk: Buffer, onFrame: (buf: Buffer, start: number, end: number) => void): void {
    let buf = chunk;
    let pos = 0;
    if (this.buffered > 0) {
      if (this.buffered + chunk.length < this.needed) {
        this.chunks.push(chunk);
        this.buffered += chunk.length;
        return;
      }
      if (this.buffered < 4) {
        // The length prefix itself was split: join the (at most 3) pending bytes with this chunk.
        buf = Buffer.concat([...this.chunks, chunk]);
      } else {
        // Complete the pending frame with just the bytes it still needs.
        const take = this.needed - this.buffered;
        const frame = Buffer.concat([...this.chunks, chunk.subarray(0, take)], this.needed);
        this.chunks = [];
        this.buffered = 0;
        this.needed = 4;
        onFrame(frame, 4, frame.length);
        pos = take;
      }
      this.chunks = [];
      this.buffered = 0;
      this.needed = 4;
    }
    while (buf.length - pos >= 4) {
      const size = buf.readInt32BE(pos);
      if (size < 0 || size > this.maxFrameBytes) {
        throw new FrameError(`frame length ${size} outside 0..${this.maxFrameBytes}`);
      }
      if (buf.length - pos - 4 < size) {
        this.needed = 4 + size;
        break;
      }
      onFrame(buf, pos + 4, pos + 4 + size);
      pos += 4 + size;
    }
    if (pos < buf.length) {
      const rest = buf.subarray(pos);
      this.chunks = [rest];
      this.buffered = rest.length;
      if (this.buffered < 4) this.needed = 4;
    }
  }

  get pendingBytes(): number {
    return this.buffered;
  }
}
