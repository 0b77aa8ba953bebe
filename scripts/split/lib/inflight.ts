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
  constructor(chunks: T[] = []) {
    this.chunks = [...chunks];
    this.committed = chunks.map(() => undefined);
  }

  /** Appends the segment's next chunk (it must start where the last one ended); returns its index. */
  add(chunk: T): number {
    const prev = this.chunks.at(-1);
    if (prev && (prev.last || prev.hi !== chunk.lo)) throw new Error(`chunk (${chunk.lo}, ${chunk.hi}] does not follow (${prev.lo}, ${prev.hi}]`);
    this.chunks.push(chunk);
    this.committed.push(undefined);
    return this.chunks.length - 1;
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

/**
 * The chunks of one segment planned ahead, one boundary probe at a time: the
 * next chunk's bound is asked for as soon as the previous chunk is claimed, so
 * a loader that claims a chunk usually finds its bounds known already (the
 * probe ran while the other loaders were loading). Claims are served in key
 * order. `probe(lo)` returns the bound after `lo` (null = the segment's start).
 */
export class ChunkLane {
  private pending: Promise<PlannedChunk | null>;
  private readonly probe: (lo: string | null) => Promise<{ hi: string; last: boolean }>;
  ended = false;
  constructor(start: string | null, probe: (lo: string | null) => Promise<{ hi: string; last: boolean }>) {
    this.probe = probe;
    this.pending = this.from(start);
  }

  private from(lo: string | null): Promise<PlannedChunk | null> {
    const next = this.probe(lo).then(({ hi, last }) => ({ lo, hi, last }));
    // an unclaimed look-ahead that fails is not an unhandled rejection (a claim sees the error)
    next.catch(() => undefined);
    return next;
  }

  /** The next chunk in key order (null: the segment has no more); the one after it is probed as soon as this one is known. */
  claim(): Promise<PlannedChunk | null> {
    const mine = this.pending;
    this.pending = mine.then((c) => (c && !c.last ? this.from(c.hi) : null));
    this.pending.catch(() => undefined);
    return mine.then((c) => {
      if (!c) this.ended = true;
      return c;
    });
  }
}
