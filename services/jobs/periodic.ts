/**
 * One run of a periodic job in the events process: through the services (rpc/jobs), or skipped while the tables
 * are co-located and legacy's scheduler runs its SQL join instead (JOBS_WHILE_COLOCATED=legacy). The registry is
 * re-read at the start of every run. Every run holds the job's lock (lock.ts), the same named lock legacy's
 * scheduler takes (lib/contract/jobs/periodic.ts jobLockKey), so two runs of a job never overlap, whoever started
 * them. Legacy has its own runner with the SQL mode (legacy/jobs/seam.ts): a copy on purpose, each side owns its
 * scheduling; what they must agree on is in lib/contract/jobs.
 */
import type { Knex } from 'knex';
import type { OwnershipRegistry } from '../../lib/ownership/index.ts';
import { describeOwners, jobLockKey, tablesColocated, type PeriodicJob, type PeriodicRun } from '../../lib/contract/jobs/periodic.ts';
import type { PopularityParams } from '../../lib/contract/jobs/scoring.ts';
import { runPopularityViaServices } from '../../rpc/jobs/popularity.ts';
import type { JobPorts } from '../../rpc/jobs/ports.ts';
import { runShopStatsViaServices } from '../../rpc/jobs/shop-stats.ts';
import { withJobLock } from './lock.ts';

export interface PeriodicDeps {
  /** The legacy database: the ownership table and the job locks. */
  legacyKnex: Knex;
  registry: OwnershipRegistry;
  ports: () => JobPorts;
  whileColocated: 'services' | 'skip';
  afterSplit: 'services' | 'skip';
  skipReason?: { whileColocated?: string; afterSplit?: string };
  /** Seconds to wait for a run of the same job in progress; 0 = do not wait. */
  lockWaitSeconds?: number;
  params?: PopularityParams;
  now?: () => Date;
}

export async function runPeriodic(d: PeriodicDeps, job: PeriodicJob, day: string): Promise<PeriodicRun> {
  const records = await d.registry.refresh();
  const owners = describeOwners(records);
  const colocated = tablesColocated(records);
  if ((colocated ? d.whileColocated : d.afterSplit) === 'skip') {
    const why = colocated ? d.skipReason?.whileColocated ?? 'tables co-located' : d.skipReason?.afterSplit ?? 'tables split';
    return { job, day, via: 'skipped', owners, note: why };
  }
  const locked = await withJobLock(d.legacyKnex, jobLockKey(job, day), d.lockWaitSeconds ?? 0, async (): Promise<PeriodicRun> => {
    const ports = d.ports();
    return job === 'popularity'
      ? { job, day, via: 'services', owners, popularity: await runPopularityViaServices(ports, { day, params: d.params }) }
      : { job, day, via: 'services', owners, shopStats: await runShopStatsViaServices(ports, { day, now: d.now }) };
  });
  return locked.ran ? locked.value : { job, day, via: 'skipped', owners, busy: true, note: `another run of ${jobLockKey(job, day)} is in progress` };
}
