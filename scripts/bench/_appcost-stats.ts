/**
 * split-appcost's measurements besides latency and CPU: the source server's
 * counters (SHOW GLOBAL STATUS deltas), percentiles, and which writes ran while
 * an applier batch did (the batches' spans come from _appcost-pump.ts).
 */
import type { Side } from '../split/lib/side.ts';

/** Source server counters (SHOW GLOBAL STATUS) reported per 1,000 application writes. */
export const COUNTERS = ['Innodb_row_lock_waits', 'Innodb_row_lock_time', 'Innodb_data_fsyncs', 'Innodb_log_writes', 'Binlog_commits', 'Binlog_group_commits', 'Binlog_bytes_written'] as const;
export type Counter = (typeof COUNTERS)[number];

export async function serverCounters(side: Side): Promise<Record<Counter, number>> {
  const [rows] = await side.knex.raw(`SHOW GLOBAL STATUS WHERE Variable_name IN (${COUNTERS.map((c) => `'${c}'`).join(',')})`);
  const m = new Map((rows as Array<{ Variable_name: string; Value: string }>).map((r) => [r.Variable_name, Number(r.Value)]));
  return Object.fromEntries(COUNTERS.map((c) => [c, m.get(c) ?? 0])) as Record<Counter, number>;
}

/**
 * How many writes ran while an applier batch did (their [start, start + latency]
 * intersects a batch's [start, end]), of all writes and of the round's slowest 1 %.
 */
export function overlaps(starts: number[], lats: number[], spans: Array<[number, number]>): { all: number; slow: number; slowN: number } {
  const p99 = pct(lats, 99);
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  const hit = (t0: number, t1: number) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid][0] <= t1) lo = mid + 1;
      else hi = mid;
    }
    // spans starting at or before t1: the last few are the only ones that can still be open at t0
    for (let i = lo - 1; i >= 0 && i >= lo - 8; i--) if (sorted[i][1] >= t0) return true;
    return false;
  };
  let all = 0;
  let slow = 0;
  let slowN = 0;
  for (let i = 0; i < starts.length; i++) {
    const h = hit(starts[i], starts[i] + lats[i]);
    if (h) all++;
    if (lats[i] >= p99) {
      slowN++;
      if (h) slow++;
    }
  }
  return { all, slow, slowN };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
}

export function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

