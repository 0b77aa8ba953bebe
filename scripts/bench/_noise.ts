/**
 * Is the machine quiet enough for a benchmark verdict? Every benchmark prints
 * the load average before and after its run (cli.ts does it around each one),
 * and a benchmark that states a verdict against a target ("≥ 1.5× HTTP+JSON")
 * asks `judge()` first: when the machine was busy before the run, or the
 * peer's own rounds spread too much (the peer is the yardstick: if it moved by
 * more than 30 % between rounds, so did everything else), it prints "noisy"
 * and the reasons instead of a verdict. The figures are still printed; only
 * the pass/fail claim is withheld.
 *
 * Pure apart from `loadAverage()` (os.loadavg), which takes a reader for tests.
 */
import { loadavg } from 'node:os';

export const QUIET_LIMITS = {
  /** 1-minute load average above this before the run: the machine was busy */
  maxLoadBefore: 1.0,
  /** (max - min) / median of the peer's per-round figures above this: the rounds disagree */
  maxSpread: 0.30,
};
export type QuietLimits = typeof QUIET_LIMITS;

export interface LoadAverage {
  one: number;
  five: number;
  fifteen: number;
}

export function loadAverage(read: () => number[] = loadavg): LoadAverage {
  const [one = NaN, five = NaN, fifteen = NaN] = read();
  return { one, five, fifteen };
}

export function formatLoad(l: LoadAverage): string {
  return [l.one, l.five, l.fifteen].map((n) => n.toFixed(2)).join(' ');
}

/** Relative spread of per-round figures: (max - min) / median; 0 for fewer than two finite values. */
export function spread(rounds: readonly number[]): number {
  const v = rounds.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length < 2) return 0;
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  if (median <= 0) return Infinity;
  return (v[v.length - 1]! - v[0]!) / median;
}

export interface Verdict {
  quiet: boolean;
  reasons: string[];
}

/**
 * `peerRounds`: the peer's figure per round, by name (e.g. `{ 'http+json c32': [10500, 10200, 9900] }`).
 * Names with fewer than two rounds cannot show a spread and are ignored.
 */
export function judge(input: { loadBefore: LoadAverage; peerRounds?: Record<string, readonly number[]> }, limits: QuietLimits = QUIET_LIMITS): Verdict {
  const reasons: string[] = [];
  const { one } = input.loadBefore;
  if (!(one <= limits.maxLoadBefore)) reasons.push(`load average ${Number.isFinite(one) ? one.toFixed(2) : 'unknown'} before the run (limit ${limits.maxLoadBefore})`);
  for (const [name, rounds] of Object.entries(input.peerRounds ?? {})) {
    const s = spread(rounds);
    if (s > limits.maxSpread) reasons.push(`${name} rounds spread ${Math.round(s * 100)} % (limit ${Math.round(limits.maxSpread * 100)} %)`);
  }
  return { quiet: reasons.length === 0, reasons };
}

/** The line a benchmark prints for a target: the verdict when quiet, "noisy" and why otherwise. */
export function verdictLine(claim: string, v: Verdict): string {
  return v.quiet ? claim : `noisy: no verdict (${v.reasons.join('; ')}). Measured: ${claim}`;
}

/** Several targets: the claims as they are when quiet; else one "noisy" line with the reasons, then the figures. */
export function verdictLines(claims: readonly string[], v: Verdict): string[] {
  return v.quiet ? [...claims] : [`noisy: no verdict (${v.reasons.join('; ')})`, ...claims.map((c) => `  measured, not judged: ${c}`)];
}
