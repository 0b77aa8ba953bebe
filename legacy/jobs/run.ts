/** Runs the named jobs for a day behind the seam (seam.ts): what both the CLI and the scheduler call. */
import { runPeriodic, type PeriodicRun, type SeamDeps } from './seam.ts';

export const JOB_NAMES = ['popularity', 'shop-stats', 'all'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export function isJobName(s: string): s is JobName {
  return (JOB_NAMES as readonly string[]).includes(s);
}

/** Popularity as of `day`, then shop stats for each of `shopStatDays` (default [day]), each behind the seam. */
export async function runJobsBehindSeam(deps: SeamDeps, job: JobName, opts: { day: string; shopStatDays?: string[] }): Promise<PeriodicRun[]> {
  const out: PeriodicRun[] = [];
  if (job === 'popularity' || job === 'all') out.push(await runPeriodic(deps, 'popularity', opts.day));
  if (job === 'shop-stats' || job === 'all') for (const day of opts.shopStatDays ?? [opts.day]) out.push(await runPeriodic(deps, 'shop-stats', day));
  return out;
}
