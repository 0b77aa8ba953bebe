/** Where long phases report progress; the CLI renders it with cli-progress, tests pass NO_PROGRESS. */
export interface ProgressSink {
  begin(label: string, total: number): void;
  update(done: number, info?: { rows?: number }): void;
  end(): void;
}

export const NO_PROGRESS: ProgressSink = { begin() {}, update() {}, end() {} };

/** Progress position from primary-key ranges (row estimates of information_schema are often 50 % off). Pure. */
export function pkFraction(min: string | null, max: string | null, at: string | null): number {
  if (min === null || max === null) return 1;
  if (at === null) return 0;
  const lo = intText(min);
  const hi = intText(max);
  const cur = intText(at);
  if (lo === null || hi === null || cur === null) return 0;
  if (hi <= lo) return cur >= hi ? 1 : 0;
  if (cur <= lo) return 0;
  if (cur >= hi) return 1;
  return Number(((cur - lo) * 10000n) / (hi - lo)) / 10000;
}

/** Integer value of a key text of a one-column integer key (or an older document's bare integer). */
function intText(text: string | null): bigint | null {
  if (text === null) return null;
  if (/^-?\d{1,20}$/.test(text)) return BigInt(text);
  const m = /^\["([0-9A-F]*)"\]$/i.exec(text);
  const s = m ? Buffer.from(m[1], 'hex').toString('latin1') : '';
  return /^-?\d{1,20}$/.test(s) ? BigInt(s) : null;
}

export interface ProgressOf {
  done: boolean;
  minPk: string | null;
  maxPk: string | null;
  lastPk: string | null;
  /** Set when the range was snapshotted: false for keys without arithmetic (strings, composite …). */
  intKey?: boolean;
  /** Row estimate at snapshot time (progress of keys without arithmetic). */
  estimate?: number;
  rows?: number;
  segments?: Array<{ lo: string | null; hi: string; lastPk: string | null; done: boolean }>;
}

/**
 * Copied share of a table: from its segments' integer key positions (exact
 * beyond 2^53), or for other keys from rows copied against the estimate. A
 * table whose range is not known yet is at 0 (not 100 %). Pure.
 */
export function tableFraction(p: ProgressOf): number {
  if (p.done) return 1;
  if (p.maxPk === null) return 0;
  if (p.intKey === false) return Math.min(0.99, (p.rows ?? 0) / Math.max(1, p.estimate ?? 0));
  if (!p.segments?.length) return pkFraction(p.minPk, p.maxPk, p.lastPk);
  const min = intText(p.minPk);
  let total = 0n;
  let done = 0n;
  for (const s of p.segments) {
    const lo = s.lo === null ? (min === null ? null : min - 1n) : intText(s.lo);
    const hi = intText(s.hi);
    if (lo === null || hi === null) return Math.min(0.99, (p.rows ?? 0) / Math.max(1, p.estimate ?? 0));
    const width = hi - lo;
    total += width;
    const at = intText(s.lastPk);
    if (s.done) done += width;
    else if (at !== null) done += at - lo;
  }
  return total > 0n ? Number((done * 10000n) / total) / 10000 : 1;
}
