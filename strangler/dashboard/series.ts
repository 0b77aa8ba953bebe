/**
 * Live figures from cumulative counters (pure): request rate, 5xx rate and latency quantiles over a window, taken
 * as the difference of two samples of the facade's own Prometheus counters and histogram buckets. A counter that
 * went down (stats reset, restart) counts from zero again, as Prometheus' rate() does.
 */

/** One sample of one route × upstream: cumulative since the facade started. */
export interface Cumulative {
  t: number;
  requests: number;
  errors: number;
  /** Cumulative bucket counts (`le` ascending, +Inf last), same length as the bounds. */
  buckets: number[];
}

export interface WindowFigures {
  requests: number;
  rps: number;
  /** 5xx / answered, 0..1; null without traffic. */
  errorRate: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
}

/** Prometheus' histogram_quantile: linear inside the bucket; the +Inf bucket answers its lower bound. */
export function histQuantile(bounds: number[], cumulative: number[], q: number): number | null {
  const total = cumulative.at(-1) ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let i = cumulative.findIndex((c) => c >= rank);
  if (i < 0) i = cumulative.length - 1;
  const upper = bounds[i];
  const lower = i === 0 ? 0 : bounds[i - 1];
  if (!Number.isFinite(upper)) return lower;
  const below = i === 0 ? 0 : cumulative[i - 1];
  const inBucket = cumulative[i] - below;
  return inBucket <= 0 ? upper : lower + (upper - lower) * ((rank - below) / inBucket);
}

const diff = (a: number, b: number) => (a >= b ? a - b : a);

export function windowFigures(bounds: number[], newer: Cumulative, older: Cumulative | undefined): WindowFigures {
  const base: Cumulative = older ?? { t: newer.t, requests: 0, errors: 0, buckets: newer.buckets.map(() => 0) };
  const reset = newer.requests < base.requests;
  const requests = diff(newer.requests, base.requests);
  const errors = reset ? newer.errors : diff(newer.errors, base.errors);
  const buckets = newer.buckets.map((c, i) => (reset ? c : diff(c, base.buckets[i] ?? 0)));
  const seconds = Math.max((newer.t - base.t) / 1000, 1e-9);
  const ms = (v: number | null) => (v === null ? null : Math.round(v * 1e6) / 1e3);
  return {
    requests,
    rps: older === undefined ? 0 : Math.round((requests / seconds) * 100) / 100,
    errorRate: requests ? errors / requests : null,
    p50Ms: ms(histQuantile(bounds, buckets, 0.5)),
    p99Ms: ms(histQuantile(bounds, buckets, 0.99)),
  };
}

/** The sample at least `seconds` older than the newest (else the oldest), for a window ending now. */
export function sampleBefore<T extends { t: number }>(samples: T[], seconds: number): T | undefined {
  const newest = samples.at(-1);
  if (newest === undefined) return undefined;
  for (let i = samples.length - 2; i >= 0; i--) if (newest.t - samples[i].t >= seconds * 1000) return samples[i];
  return samples.length > 1 ? samples[0] : undefined;
}

/** Rate of a count pair (e.g. mismatched of compared) between two samples; null without comparisons. */
export function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}
