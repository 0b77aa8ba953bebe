/**
 * Percentiles and grouped summaries of recorded requests. Pure, unit-tested.
 */
import type { ErrorKind, Sample } from './types.ts';

/** Nearest-rank percentile of an ascending array (p in [0, 100]); NaN for an empty array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (p <= 0) return sorted[0];
  if (p >= 100) return sorted[sorted.length - 1];
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export interface GroupSummary {
  key: string;
  requests: number;
  errors: number;
  errorKinds: Partial<Record<ErrorKind, number>>;
  p50: number;
  p99: number;
  max: number;
  /** Requests per second over the group's wall time (first start → last end). */
  rps: number;
}

export function summarize(samples: readonly Sample[], keyOf: (s: Sample) => string): GroupSummary[] {
  const groups = new Map<string, Sample[]>();
  for (const s of samples) {
    const k = keyOf(s);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(s);
  }
  return [...groups.entries()].map(([key, g]) => summaryOf(key, g));
}

export function summaryOf(key: string, g: readonly Sample[]): GroupSummary {
  const lat = g.map((s) => s.latencyMs).sort((a, b) => a - b);
  const errorKinds: Partial<Record<ErrorKind, number>> = {};
  let errors = 0;
  let first = Infinity;
  let last = -Infinity;
  for (const s of g) {
    if (s.error) {
      errors++;
      errorKinds[s.error] = (errorKinds[s.error] ?? 0) + 1;
    }
    first = Math.min(first, s.at);
    last = Math.max(last, s.at + s.latencyMs);
  }
  const wall = last - first;
  return {
    key, requests: g.length, errors, errorKinds,
    p50: percentile(lat, 50), p99: percentile(lat, 99), max: lat.length ? lat[lat.length - 1] : Number.NaN,
    rps: wall > 0 ? (g.length * 1000) / wall : 0,
  };
}

/** Classifies one response against what the client expected. Pure. */
export function classify(status: number, expected: readonly number[]): ErrorKind | undefined {
  if (expected.includes(status)) return undefined;
  if (status === 0) return 'connection';
  if (status >= 500) return '5xx';
  if (status >= 400) return 'unexpected-4xx';
  return 'unexpected-status';
}
