/**
 * What every runner of the periodic jobs must agree on (legacy's scheduler and the events process run the same
 * jobs and exclude each other by the lock key): the jobs, the result of a run and its one-line description, the
 * lock key, and when the tables are co-located. Pure.
 *
 * When may the legacy SQL jobs run? Only while products, shops and users are
 * all served by legacy from the legacy database (ownership registry,
 * lib/ownership): then the tables they join are the live ones, side by side.
 * Once any of the three is service-owned or split, the join would read stale
 * copies or fenced tables, and the jobs go through the services instead
 * (services/jobs). Pure.
 */
import type { PopularityResult, ShopStatsResult } from './results.ts';

/** The fields of an ownership record (lib/ownership) the decision reads. */
export interface OwnerRecord { domain: string; owner: 'legacy' | 'service'; database: 'legacy' | 'own' }

export const JOB_DOMAINS = ['product', 'shop', 'user'] as const;

export function tablesColocated(records: readonly OwnerRecord[]): boolean {
  return JOB_DOMAINS.every((d) => {
    const r = records.find((x) => x.domain === d);
    // no record = the registry's default: legacy-owned, legacy database
    return !r || (r.owner === 'legacy' && r.database === 'legacy');
  });
}

/** 'product=service/own shop=legacy/legacy user=legacy/legacy' for logs and results. */
export function describeOwners(records: readonly OwnerRecord[]): string {
  return JOB_DOMAINS.map((d) => {
    const r = records.find((x) => x.domain === d);
    return `${d}=${r?.owner ?? 'legacy'}/${r?.database ?? 'legacy'}`;
  }).join(' ');
}

export type PeriodicJob = 'popularity' | 'shop-stats';

export interface PeriodicRun {
  job: PeriodicJob;
  day: string;
  via: 'sql' | 'services' | 'skipped';
  /** Ownership the decision was made on. */
  owners: string;
  /** Why it was skipped, or why the SQL run was abandoned for the services. */
  note?: string;
  /** Another run of the job held the lock (skipped). */
  busy?: boolean;
  popularity?: PopularityResult;
  shopStats?: ShopStatsResult;
}

/** Popularity writes every product's score, so it locks per job; shop stats write one day's rows, so per job and day. */
export function jobLockKey(job: PeriodicJob, day: string): string {
  return job === 'popularity' ? job : `${job}:${day}`;
}

/** One line per run, for logs and the CLI. */
export function describeRun(r: PeriodicRun): string {
  const how = r.via === 'sql' ? 'SQL join (tables co-located)' : r.via === 'services' ? 'through the services' : 'skipped';
  const tail = ` — ${how}; ${r.owners}${r.note ? `; ${r.note}` : ''}`;
  if (r.popularity) {
    const p = r.popularity;
    return `popularity ${p.day}: ${p.events} events → ${p.scored} products scored, ${p.updated} updated, ${p.zeroed} reset to 0 (${p.ms} ms)${tail}`;
  }
  if (r.shopStats) return `shop-stats ${r.shopStats.day}: ${r.shopStats.shops} shops upserted (${r.shopStats.ms} ms)${tail}`;
  return `${r.job} ${r.day}${tail}`;
}
