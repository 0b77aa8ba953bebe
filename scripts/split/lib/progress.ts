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
  const lo = BigInt(min);
  const hi = BigInt(max);
  const cur = BigInt(at);
  if (hi <= lo) return cur >= hi ? 1 : 0;
  if (cur <= lo) return 0;
  if (cur >= hi) return 1;
  return Number(((cur - lo) * 10000n) / (hi - lo)) / 10000;
}

/** Copied share of a table from its segments' positions (key ranges, exact beyond 2^53). Pure. */
export function tableFraction(p: { done: boolean; minPk: string | null; maxPk: string | null; lastPk: string | null; segments?: Array<{ lo: string; hi: string; lastPk: string | null; done: boolean }> }): number {
  if (p.done) return 1;
  if (!p.segments?.length) return pkFraction(p.minPk, p.maxPk, p.lastPk);
  let total = 0n;
  let done = 0n;
  for (const s of p.segments) {
    const width = BigInt(s.hi) - BigInt(s.lo);
    total += width;
    if (s.done) done += width;
    else if (s.lastPk !== null) done += BigInt(s.lastPk) - BigInt(s.lo);
  }
  return total > 0n ? Number((done * 10000n) / total) / 10000 : 1;
}
