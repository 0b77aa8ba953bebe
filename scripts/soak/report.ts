/** Soak bookkeeping (pure): latency percentiles, resource snapshots and the pass/fail verdict. */

export interface Snapshot {
  fds: number;
  rssBytes: number;
  /** V8 heap in use (after a GC when the soak runs with --expose-gc): whether growth is live data. */
  heapUsedBytes: number;
}

export interface Thresholds {
  /** Open descriptors allowed above the baseline after the soak settles. */
  fdSlack: number;
  /** Live V8 heap allowed above the baseline (after GC): the larger of these bytes and this share of the baseline. */
  heapSlackBytes: number;
  heapSlackRatio: number;
  /**
   * RSS allowed above the baseline, likewise. Generous on purpose: V8 keeps the heap pages it grew into under load and
   * the allocator keeps freed buffers, so RSS never returns to the baseline; this catches native leaks that grow
   * without bound, the heap check catches JS ones.
   */
  rssSlackBytes: number;
  rssSlackRatio: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  fdSlack: 8, heapSlackBytes: 16 * 1024 * 1024, heapSlackRatio: 0.25, rssSlackBytes: 256 * 1024 * 1024, rssSlackRatio: 1,
};

/** The q-quantile (0..1) of the values, nearest rank; NaN when empty. Sorts a copy. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export interface Verdict {
  ok: boolean;
  problems: string[];
}

/** Fails when normal traffic failed or never ran, or descriptors / heap / RSS did not come back near the baseline. */
export function verdict(normal: { ok: number; failed: number }, before: Snapshot, after: Snapshot, t: Thresholds = DEFAULT_THRESHOLDS): Verdict {
  const problems: string[] = [];
  if (normal.ok === 0) problems.push('no normal request succeeded');
  if (normal.failed > 0) problems.push(`${normal.failed} normal request(s) failed`);
  if (after.fds > before.fds + t.fdSlack) problems.push(`open fds ${after.fds} > baseline ${before.fds} + ${t.fdSlack}`);
  const heapRoom = Math.max(t.heapSlackBytes, before.heapUsedBytes * t.heapSlackRatio);
  if (after.heapUsedBytes > before.heapUsedBytes + heapRoom) {
    problems.push(`V8 heap used ${mb(after.heapUsedBytes)} MB > baseline ${mb(before.heapUsedBytes)} MB + ${mb(heapRoom)} MB`);
  }
  const rssRoom = Math.max(t.rssSlackBytes, before.rssBytes * t.rssSlackRatio);
  if (after.rssBytes > before.rssBytes + rssRoom) {
    problems.push(`RSS ${mb(after.rssBytes)} MB > baseline ${mb(before.rssBytes)} MB + ${mb(rssRoom)} MB`);
  }
  return { ok: problems.length === 0, problems };
}

export function mb(bytes: number): number {
  return Math.round(bytes / 1024 / 102.4) / 10;
}
