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

/**
 * A table's size in rows, to weigh its fraction by: exact once done; from rows copied over the key-range fraction
 * once a tenth is copied; before that the larger of the server's estimate and rows copied. Pure.
 */
export function tableWeight(p: ProgressOf): number {
  const rows = p.rows ?? 0;
  if (p.done) return rows;
  const frac = tableFraction(p);
  if (frac >= 0.1 && rows > 0) return rows / frac;
  return Math.max(p.estimate ?? 0, rows, 1);
}

/**
 * Copied share of a whole split, weighted by rows: a 50-row table done and a 6,000-row table at 833 rows is 14 %,
 * not the 57 % an average of per-table fractions says. Pure.
 */
export function copyFraction(tables: ProgressOf[]): number {
  let total = 0;
  let done = 0;
  for (const p of tables) {
    const w = tableWeight(p);
    total += w;
    done += w * tableFraction(p);
  }
  return total > 0 ? Math.min(1, done / total) : 1;
}

export const DEFAULT_PROGRESS_INTERVAL_MS = 10_000;

export interface ProgressLinesOptions {
  write: (line: string) => void;
  /** One line at most this often (default DEFAULT_PROGRESS_INTERVAL_MS), plus one at the end. */
  intervalMs?: number;
  now?: () => number;
}

/**
 * Progress as plain lines for output that is not a terminal (a pipe, a CI log): `copy product: 14.0 % | 833 rows |
 * 120 rows/s | ETA 41s`, at most once per interval, and a last line when the phase ends.
 */
export function progressLines(o: ProgressLinesOptions): ProgressSink {
  const now = o.now ?? Date.now;
  const every = o.intervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  let label = '';
  let total = 1;
  let t0 = 0;
  let last = 0;
  let at: { done: number; rows: number } | undefined;
  const line = (final: boolean) => {
    if (!at) return;
    const elapsed = Math.max(0.001, (now() - t0) / 1000);
    const share = Math.min(1, at.done / Math.max(1, total));
    const rate = Math.round(at.rows / elapsed);
    const eta = share > 0 && share < 1 ? ` | ETA ${formatSeconds((elapsed * (1 - share)) / share)}` : '';
    o.write(`${label}: ${(share * 100).toFixed(1)} % | ${at.rows.toLocaleString('en-US')} rows | ${rate.toLocaleString('en-US')} rows/s${final ? ` | ${formatSeconds(elapsed)} elapsed` : eta}`);
  };
  return {
    begin(l, t) {
      label = l;
      total = t;
      t0 = now();
      last = t0;
      at = undefined;
    },
    update(done, info) {
      at = { done, rows: info?.rows ?? at?.rows ?? 0 };
      if (now() - last >= every) {
        last = now();
        line(false);
      }
    },
    end() {
      line(true);
      at = undefined;
    },
  };
}

function formatSeconds(s: number): string {
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
