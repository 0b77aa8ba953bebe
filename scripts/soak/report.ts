/** Soak bookkeeping (pure): latency percentiles, resource snapshots and the pass/fail verdict. */

export interface Snapshot {
  fds: number;
  rssBytes: number;
}

export interface Thresholds {
  /** Open descriptors allowed above the baseline after the soak settles. */
  fdSlack: number;
  /** RSS allowed above the baseline: the larger of this many bytes and `rssSlackRatio` of the baseline. */
  rssSlackBytes: number;
  rssSlackRatio: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { fdSlack: 8, rssSlackBytes: 96 * 1024 * 1024, rssSlackRatio: 0.5 };

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

/** Fails when normal traffic failed or never ran, or descriptors / RSS did not come back near the baseline. */
export function verdict(normal: { ok: number; failed: number }, before: Snapshot, after: Snapshot, t: Thresholds = DEFAULT_THRESHOLDS): Verdict {
  const problems: string[] = [];
  if (normal.ok === 0) problems.push('no normal request succeeded');
  if (normal.failed > 0) problems.push(`${normal.failed} normal request(s) failed`);
  if (after.fds > before.fds + t.fdSlack) problems.push(`open fds ${after.fds} > baseline ${before.fds} + ${t.fdSlack}`);
  const rssRoom = Math.max(t.rssSlackBytes, before.rssBytes * t.rssSlackRatio);
  if (after.rssBytes > before.rssBytes + rssRoom) {
    problems.push(`RSS ${mb(after.rssBytes)} MB > baseline ${mb(before.rssBytes)} MB + ${mb(rssRoom)} MB`);
  }
  return { ok: problems.length === 0, problems };
}

export function mb(bytes: number): number {
  return Math.round(bytes / 1024 / 102.4) / 10;
}
