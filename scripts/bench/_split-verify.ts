/**
 * The verify section of `npm run bench -- split` (scripts/bench/split.ts;
 * files starting with `_` are not benchmarks): verify rows/s with application
 * writes paused against `CHECKSUM TABLE … EXTENDED` of the same tables on both
 * sides at once, its peer.
 *
 * The machine is shared and its load swings within seconds, so one verify
 * against one CHECKSUM TABLE says little. The two are interleaved — peer,
 * verify, peer, verify, …, peer — and each verify is set against the mean of
 * the two peer runs around it; the table gets the medians (rows/s of each and
 * the median of the per-round ratios), every round is logged, and the 1-minute
 * load average is taken before and after.
 */
import { loadavg } from 'node:os';
import type { BenchResult } from './cli.ts';

export const DEFAULT_VERIFY_ROUNDS = 3;

export interface VerifyRound {
  verifySec: number;
  /** Mean of the CHECKSUM TABLE runs just before and just after this verify. */
  checksumSec: number;
  ratio: number;
}

export interface VerifyVsChecksum {
  rounds: VerifyRound[];
  verifyRowsPerSec: number;
  checksumRowsPerSec: number;
  ratio: number;
  loadBefore: number;
  loadAfter: number;
  differences: number;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function load(): number {
  return Math.round(loadavg()[0] * 100) / 100;
}

/**
 * Runs `rounds` verifies (each with `restart`, so every one hashes every row)
 * between rounds + 1 CHECKSUM TABLE runs; `rows` is what one verify covers.
 */
export async function verifyVsChecksum(opts: {
  rows: number;
  rounds: number;
  verify: () => Promise<{ differencesFound?: number; differences: unknown[] }>;
  checksumBothSides: () => Promise<number>;
  log: (s: string) => void;
}): Promise<VerifyVsChecksum> {
  if (opts.rounds < 1) throw new Error('verify rounds must be at least 1');
  const loadBefore = load();
  const rounds: VerifyRound[] = [];
  let differences = 0;
  let before = await opts.checksumBothSides();
  for (let i = 0; i < opts.rounds; i++) {
    const t0 = performance.now();
    const v = await opts.verify();
    const verifySec = (performance.now() - t0) / 1000;
    differences = Math.max(differences, v.differencesFound ?? v.differences.length);
    const after = await opts.checksumBothSides();
    const checksumSec = (before + after) / 2;
    rounds.push({ verifySec, checksumSec, ratio: checksumSec / verifySec });
    opts.log(`verify round ${i + 1}/${opts.rounds}, writes paused: ${verifySec.toFixed(2)} s; CHECKSUM TABLE both sides ${before.toFixed(2)} s before, ${after.toFixed(2)} s after; ratio ${(checksumSec / verifySec).toFixed(3)}; load ${load()}`);
    before = after;
  }
  return {
    rounds,
    verifyRowsPerSec: opts.rows / median(rounds.map((r) => r.verifySec)),
    checksumRowsPerSec: opts.rows / median(rounds.map((r) => r.checksumSec)),
    ratio: median(rounds.map((r) => r.ratio)),
    loadBefore,
    loadAfter: load(),
    differences,
  };
}

/** The bench table's row for a `verifyVsChecksum` result (ratio = the median of the per-round ratios). */
export function verifyResult(r: VerifyVsChecksum): BenchResult & { load: number } {
  const diffs = r.differences ? `${r.differences} differences!` : '0 differences';
  return {
    bench: 'split',
    metric: `verify rows/s, writes paused (${diffs}; median of ${r.rounds.length} rounds, load ${r.loadBefore}→${r.loadAfter})`,
    ours: r.verifyRowsPerSec,
    peer: r.checksumRowsPerSec,
    peerName: 'CHECKSUM TABLE EXTENDED, both sides at once, interleaved',
    unit: 'rows/s',
    ratio: r.ratio,
    load: r.loadAfter,
  };
}
