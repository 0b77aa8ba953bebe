/**
 * Positions of chunks copied out of order (several loaders in flight). Pure.
 *
 * A segment's chunks are planned in key order — (lo, hi1], (hi1, hi2], … —
 * and may commit on the target in any order (each in its own transaction, on
 * its own connection). The segment's position may only move over a
 * contiguous prefix of committed chunks: `commit(i)` returns the chunks that
 * have just joined that prefix (possibly none, possibly several), in order.
 * A chunk that failed stops the prefix for good (this round): the chunks
 * behind it may be on the target, but their position is never claimed — the
 * next round copies them again from the failed chunk's start, and a chunk
 * copy makes its range equal to the source's, so a range copied twice is
 * harmless.
 *
 * So a saved position never runs ahead of what the target holds (only
 * committed chunks join the prefix) and never moves backwards (the prefix
 * only grows; saves are serialised by the caller).
 */
export interface PlannedChunk {
  /** Exclusive lower bound (key text; null = the segment's start). */
  lo: string | null;
  /** Inclusive upper bound (key text). */
  hi: string;
  /** The segment's last chunk. */
  last: boolean;
}

export class ChunkQueue<T extends PlannedChunk = PlannedChunk> {
  readonly chunks: T[];
  private readonly committed: Array<number | undefined>;
  private next = 0;
  private failedAt = Infinity;
  constructor(chunks: T[]) {
    this.chunks = chunks;
    this.committed = chunks.map(() => undefined);
  }

  /** Marks chunk `i` committed with `rows` rows; returns the chunks that now extend the prefix, with their rows. */
  commit(i: number, rows: number): Array<{ chunk: T; rows: number }> {
    if (i < 0 || i >= this.chunks.length) throw new Error(`no chunk ${i}`);
    if (this.committed[i] !== undefined) throw new Error(`chunk ${i} committed twice`);
    this.committed[i] = rows;
    const out: Array<{ chunk: T; rows: number }> = [];
    while (this.next < this.chunks.length && this.next < this.failedAt && this.committed[this.next] !== undefined) {
      out.push({ chunk: this.chunks[this.next], rows: this.committed[this.next]! });
      this.next++;
    }
    return out;
  }

  /** Chunk `i` did not commit: the prefix stops before it. */
  fail(i: number): void {
    this.failedAt = Math.min(this.failedAt, i);
  }

  /** Whether chunk `i` is still worth loading (nothing before it failed). */
  wanted(i: number): boolean {
    return i < this.failedAt;
  }

  /** Chunks in the prefix so far. */
  get covered(): number {
    return this.next;
  }

  /** Committed chunks the position does not cover (on the target, to be copied again). */
  get ahead(): number {
    return this.committed.slice(this.next).filter((x) => x !== undefined).length;
  }
}
