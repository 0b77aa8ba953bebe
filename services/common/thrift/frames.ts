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

  /** Feeds bytes; calls `onFrame(buffer, start, end)` for every complete frame. Throws FrameError on a bad length. */
  push(chunk: Buffer, onFrame: (buf: Buffer, start: number, end: number) => void): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.needed) return;
    let buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    let pos = 0;
    this.needed = 4;
    while (buf.length - pos >= 4) {
      const size = buf.readInt32BE(pos);
      if (size < 0 || size > this.maxFrameBytes) {
        this.chunks = [];
        this.buffered = 0;
        throw new FrameError(`frame length ${size} outside 0..${this.maxFrameBytes}`);
      }
      if (buf.length - pos - 4 < size) {
        this.needed = 4 + size;
        break;
      }
      onFrame(buf, pos + 4, pos + 4 + size);
      pos += 4 + size;
    }
    if (pos === buf.length) {
      this.chunks = [];
      this.buffered = 0;
    } else {
      buf = pos === 0 ? buf : buf.subarray(pos);
      this.chunks = [buf];
      this.buffered = buf.length;
    }
  }

  get pendingBytes(): number {
    return this.buffered;
  }
}
