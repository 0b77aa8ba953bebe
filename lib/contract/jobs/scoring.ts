/**
 * Popularity scoring, pure: each recent event counts its type's weight,
 * halved every `halfLifeDays` of age (age in whole UTC days before the day the
 * ranking is computed for). The SQL side only counts events per
 * (product, type, age); everything numeric happens here.
 */
export type EventType = 'view' | 'click' | 'like';

export interface EventBucket {
  productId: number;
  type: EventType;
  /** Whole days before the ranking day (0 = that day). */
  ageDays: number;
  count: number;
}

export interface PopularityParams {
  weights: Record<EventType, number>;
  halfLifeDays: number;
  /** Events older than this many days (age >= windowDays) do not count. */
  windowDays: number;
}

export const DEFAULT_POPULARITY: PopularityParams = {
  weights: { view: 1, click: 3, like: 5 },
  halfLifeDays: 3,
  windowDays: 14,
};

/** Scores are stored rounded to 6 decimals, so re-runs compare equal. */
export const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

export function decay(ageDays: number, halfLifeDays: number): number {
  return Math.pow(0.5, ageDays / halfLifeDays);
}

/** Canonical bucket order: product, type, age, count. */
function byKey(a: EventBucket, b: EventBucket): number {
  return a.productId - b.productId || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0) || a.ageDays - b.ageDays || a.count - b.count;
}

/**
 * Score per product; products without counted events are absent (their score is 0).
 * The buckets are summed in a canonical order, so the same buckets give bit-identical
 * scores whichever way they were gathered (one SQL join, or the services' batch calls
 * page by page): floating-point addition is not associative.
 */
export function popularityScores(buckets: Iterable<EventBucket>, params: PopularityParams = DEFAULT_POPULARITY): Map<number, number> {
  const raw = new Map<number, number>();
  for (const b of [...buckets].sort(byKey)) {
    if (b.ageDays < 0 || b.ageDays >= params.windowDays || b.count <= 0) continue;
    const w = params.weights[b.type] ?? 0;
    if (w === 0) continue;
    raw.set(b.productId, (raw.get(b.productId) ?? 0) + w * b.count * decay(b.ageDays, params.halfLifeDays));
  }
  const out = new Map<number, number>();
  for (const [id, s] of raw) {
    const r = round6(s);
    if (r > 0) out.set(id, r);
  }
  return out;
}

export interface ScoreChanges {
  /** [productId, newScore] for products whose stored score differs. */
  set: [number, number][];
  /** Products that have a stored score but no longer score. */
  zero: number[];
}

/** What to write, given the stored non-zero scores: only the differences (a re-run writes nothing). */
export function scoreChanges(next: Map<number, number>, stored: Map<number, number>): ScoreChanges {
  const set: [number, number][] = [];
  const zero: number[] = [];
  for (const [id, s] of next) if (stored.get(id) !== s) set.push([id, s]);
  for (const id of stored.keys()) if (!next.has(id)) zero.push(id);
  set.sort((a, b) => a[0] - b[0]);
  zero.sort((a, b) => a - b);
  return { set, zero };
}
