/**
 * Hot-path metric series without prom-client's per-call cost. A bound prom-client child (`labels(...)`) still
 * builds a label object, validates it and hashes it into a string on every `inc()`/`observe()`; these keep a
 * reference to the series' own entry in the metric's `hashMap` (found once, after the first update through the
 * public child) and update it in place, exactly as prom-client 15 does: counter `value += 1`; histogram `sum`,
 * `count` and the first bucket whose bound is ≥ the value. The reference is re-checked on every update
 * (`hashMap[key] === entry`), so a `reset()`/`remove()` or a prom-client whose internals differ falls back to
 * the public child (correct, only slower). test/per-request.test.ts pins the exposition text to be identical.
 */
import type { Counter, Histogram } from 'prom-client';

interface CounterEntry {
  value: number;
  labels: Record<string, string>;
}
interface HistogramEntry {
  sum: number;
  count: number;
  labels: Record<string, string>;
  bucketValues: Record<string, number>;
}
type Internals<E> = { hashMap?: Record<string, E>; labelNames?: string[]; upperBounds?: number[] };

/** The key and entry of the series with these label values, or null (internals not as expected). */
function findEntry<E extends { labels: Record<string, string> }>(metric: Internals<E>, values: string[]): { key: string; entry: E } | null {
  const map = metric.hashMap;
  const names = metric.labelNames;
  if (map === null || typeof map !== 'object' || !Array.isArray(names) || names.length !== values.length) return null;
  for (const key in map) {
    const e = map[key];
    if (e === null || typeof e !== 'object' || e.labels === null || typeof e.labels !== 'object') continue;
    let same = true;
    for (let i = 0; i < names.length; i++) {
      if (e.labels[names[i]] !== values[i]) {
        same = false;
        break;
      }
    }
    if (same) return { key, entry: e };
  }
  return null;
}

/** One series' entry in its metric's `hashMap`, learnt after an update through the public child and re-checked on every use. */
class SeriesEntry<E extends { labels: Record<string, string> }> {
  private key = '';
  private entry: E | null = null;

  private readonly metric: Internals<E>;
  private readonly values: string[];

  constructor(metric: Internals<E>, values: string[]) {
    this.metric = metric;
    this.values = values;
  }

  /** The entry to update in place, or null: then update through the public child and call `learn`. */
  current(): E | null {
    const e = this.entry;
    return e !== null && this.metric.hashMap![this.key] === e ? e : null;
  }

  /** Finds the entry again (after an update through the child); keeps it only when `usable` says its shape is the expected one. */
  learn(usable: (e: E) => boolean): void {
    const found = findEntry(this.metric, this.values);
    const ok = found !== null && usable(found.entry);
    this.entry = ok ? found.entry : null;
    this.key = ok ? found.key : '';
  }
}

export class FastCounter {
  private readonly child: Counter.Internal;
  private readonly series: SeriesEntry<CounterEntry>;

  constructor(metric: Counter<string>, values: string[]) {
    this.series = new SeriesEntry(metric as unknown as Internals<CounterEntry>, values);
    this.child = metric.labels(...values);
  }

  inc(): void {
    const e = this.series.current();
    if (e !== null && typeof e.value === 'number') {
      e.value += 1;
      return;
    }
    this.child.inc();
    this.series.learn(() => true);
  }
}

export class FastHistogram {
  private readonly child: Histogram.Internal<string>;
  private readonly series: SeriesEntry<HistogramEntry>;
  private readonly bounds: number[];
  /** The bucket keys as prom-client stores them (the bound's string form), made once. */
  private readonly keys: string[];

  constructor(metric: Histogram<string>, values: string[]) {
    const internals = metric as unknown as Internals<HistogramEntry>;
    this.series = new SeriesEntry(internals, values);
    this.child = metric.labels(...values);
    this.bounds = Array.isArray(internals.upperBounds) ? internals.upperBounds.slice() : [];
    this.keys = this.bounds.map(String);
  }

  observe(v: number): void {
    const e = this.series.current();
    if (e !== null && Number.isFinite(v)) {
      e.sum += v;
      e.count += 1;
      const bounds = this.bounds;
      for (let i = 0; i < bounds.length; i++) {
        if (v <= bounds[i]) {
          e.bucketValues[this.keys[i]] += 1;
          break;
        }
      }
      return;
    }
    this.child.observe(v);
    this.series.learn((found) => typeof found.sum === 'number' && found.bucketValues !== null && typeof found.bucketValues === 'object'
      && this.keys.length > 0 && this.keys.every((k) => typeof found.bucketValues[k] === 'number'));
  }
}
