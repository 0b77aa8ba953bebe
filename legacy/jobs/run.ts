/** Runs the named jobs for a day: what both the CLI and the scheduler call. */
import type { Knex } from 'knex';
import { runPopularity, type PopularityResult } from './popularity.ts';
import type { PopularityParams } from './scoring.ts';
import { runShopStats, type ShopStatsResult } from './shop-stats.ts';

export const JOB_NAMES = ['popularity', 'shop-stats', 'all'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export interface JobsResult {
  popularity?: PopularityResult;
  shopStats?: ShopStatsResult[];
}

export function isJobName(s: string): s is JobName {
  return (JOB_NAMES as readonly string[]).includes(s);
}

export async function runJobs(knex: Knex, job: JobName, opts: { day: string; shopStatDays?: string[]; params?: PopularityParams; now?: () => Date }): Promise<JobsResult> {
  const out: JobsResult = {};
  if (job === 'popularity' || job === 'all') out.popularity = await runPopularity(knex, { day: opts.day, params: opts.params });
  if (job === 'shop-stats' || job === 'all') {
    out.shopStats = [];
    for (const day of opts.shopStatDays ?? [opts.day]) out.shopStats.push(await runShopStats(knex, { day, now: opts.now }));
  }
  return out;
}

export function describeResult(r: JobsResult): string[] {
  const lines: string[] = [];
  if (r.popularity) {
    const p = r.popularity;
    lines.push(`popularity ${p.day}: ${p.events} events → ${p.scored} products scored, ${p.updated} updated, ${p.zeroed} reset to 0 (${p.ms} ms)`);
  }
  for (const s of r.shopStats ?? []) lines.push(`shop-stats ${s.day}: ${s.shops} shops upserted (${s.ms} ms)`);
  return lines;
}
