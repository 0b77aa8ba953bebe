/**
 * Counts of keys taken from responses (difference paths), bounded by construction:
 * at most `cap` keys are kept (Space-Saving, Metwally et al. 2005): a new key
 * replaces the least-counted one and inherits its count as its possible error,
 * so a key that recurs more often than 1/cap of all additions is always kept,
 * however many one-off keys arrive. What is reported per key is its guaranteed
 * count (never more than it really had); everything else is the `other` bucket.
 * Keys are cut to `DEFAULT_MAX_KEY_CHARS` so one long key cannot hold much memory.
 */

export const DEFAULT_TOP_CAP = 200;
export const DEFAULT_MAX_KEY_CHARS = 200;

interface Slot {
  count: number;
  /** Count inherited from the key it replaced: the most this key may be over-counted. */
  err: number;
}

export class TopCounts {
  private readonly slots = new Map<string, Slot>();
  private capValue: number;
  /** Additions not attributed to a kept key (keys evicted or replaced). */
  other = 0;
  total = 0;

  constructor(cap = DEFAULT_TOP_CAP) {
    this.capValue = Math.max(1, cap | 0);
  }

  get cap(): number {
    return this.capValue;
  }

  get size(): number {
    return this.slots.size;
  }

  has(key: string): boolean {
    return this.slots.has(cut(key));
  }

  /** Changes the cap; when smaller, the least-counted keys go to `other`. */
  setCap(cap: number): void {
    this.capValue = Math.max(1, cap | 0);
    if (this.slots.size <= this.capValue) return;
    const sorted = [...this.slots.entries()].sort((a, b) => a[1].count - b[1].count);
    for (let i = 0; this.slots.size > this.capValue; i++) {
      const [k, s] = sorted[i];
      this.other += s.count - s.err;
      this.slots.delete(k);
    }
  }

  add(rawKey: string): void {
    const key = cut(rawKey);
    this.total++;
    const s = this.slots.get(key);
    if (s !== undefined) {
      s.count++;
      return;
    }
    if (this.slots.size < this.capValue) {
      this.slots.set(key, { count: 1, err: 0 });
      return;
    }
    let minKey = '';
    let min: Slot | null = null;
    for (const [k, v] of this.slots) {
      if (min === null || v.count < min.count) {
        min = v;
        minKey = k;
        if (v.count === 1) break;
      }
    }
    this.slots.delete(minKey);
    this.other += min!.count - min!.err;
    this.slots.set(key, { count: min!.count + 1, err: min!.count });
  }

  /** Kept keys by guaranteed count, highest first. */
  top(): { path: string; count: number }[] {
    return [...this.slots.entries()].map(([path, s]) => ({ path, count: s.count - s.err })).sort((a, b) => b.count - a.count);
  }

  keys(): IterableIterator<string> {
    return this.slots.keys();
  }
}

function cut(key: string): string {
  return key.length > DEFAULT_MAX_KEY_CHARS ? key.slice(0, DEFAULT_MAX_KEY_CHARS) + '…' : key;
}
