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

export class FastCounter {
  private readonly metric: Internals<CounterEntry>;
  private readonly child: Counter.Internal;
  private readonly values: string[];
  private key = '';
  private entry: CounterEntry | null = null;

  constructor(metric: Counter<string>, values: string[]) {
    this.metric = metric as unknown as Internals<CounterEntry>;
    this.values = values;
    this.child = metric.labels(...values);
  }

  inc(): void {
    const e = this.entry;
    if (e !== null && this.metric.hashMap![this.key] === e && typeof e.value === 'number') {
      e.value += 1;
      return;
    }
    this.child.inc();
    const found = findEntry(this.metric, this.values);
    this.entry = found === null ? null : found.entry;
    this.key = found === null ? '' : found.key;
  }
}

export class FastHistogram {
  private readonly metric: Internals<HistogramEntry>;
  private readonly child: Histogram.Internal<string>;
  private readonly values: string[];
  private readonly bounds: number[];
  /** The bucket keys as prom-client stores them (the bound's string form), made once. */
  private readonly keys: string[];
  private key = '';
  private entry: HistogramEntry | null = null;

  constructor(metric: Histogram<string>, values: string[]) {
    this.metric = metric as unknown as Internals<HistogramEntry>;
    this.values = values;
    this.child = metric.labels(...values);
    this.bounds = Array.isArray(this.metric.upperBounds) ? this.metric.upperBounds.slice() : [];
    this.keys = this.bounds.map(String);
  }

  observe(v: number): void {
    const e = this.entry;
    if (e !== null && this.metric.hashMap![this.key] === e && Number.isFinite(v)) {
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
    const found = findEntry(this.metric, this.values);
    const ok = found !== null && typeof found.entry.sum === 'number' && found.entry.bucketValues !== null && typeof found.entry.bucketValues === 'object'
      && this.keys.length > 0 && this.keys.every((k) => typeof found.entry.bucketValues[k] === 'number');
    this.entry = ok ? found.entry : null;
    this.key = ok ? found.key : '';
  }
}
