/**
 * The periodic jobs behind the seam: one run of one job, by whichever
 * implementation the ownership registry allows now.
 *
 *   products, shops, users all legacy/legacy → the legacy SQL join (this
 *     folder), the monolith's job, kept until the split;
 *   any of them service-owned or split      → the via-services version
 *     (rpc/jobs: batch Thrift calls through the service clients, no
 *     cross-owner join; the events process runs the same, services/jobs).
 *
 * Each caller says what it does in either state (`whileColocated`,
 * `afterSplit`: run 'sql'/'services', or 'skip' because another process has
 * the schedule then). The registry is re-read at the start of the run and
 * again after the SQL version's reads: if a split happened meanwhile, its
 * results are discarded unwritten and the run goes through the services (or
 * is skipped) — the SQL join never writes after a split. Every run holds the
 * job's lock (lock.ts), so two runs of a job never overlap, whoever started
 * them (legacy scheduler, `npm run jobs`, the events process: its own
 * runner, services/jobs/periodic.ts, takes the same lock).
 */
import type { Knex } from 'knex';
import type { OwnershipRegistry } from '../../lib/ownership/index.ts';
import { runPopularityViaServices } from '../../rpc/jobs/popularity.ts';
import type { JobPorts } from '../../rpc/jobs/ports.ts';
import { runShopStatsViaServices } from '../../rpc/jobs/shop-stats.ts';
import { describeOwners, jobLockKey, tablesColocated, type PeriodicJob, type PeriodicRun } from '../../lib/contract/jobs/periodic.ts';
import { withJobLock } from './lock.ts';
import { runPopularity } from './popularity.ts';
import type { PopularityParams } from '../../lib/contract/jobs/scoring.ts';
import { runShopStats } from './shop-stats.ts';

export type { PeriodicJob, PeriodicRun } from '../../lib/contract/jobs/periodic.ts';
export { describeRun } from '../../lib/contract/jobs/periodic.ts';

export interface SeamDeps {
  /** The legacy database: `logs`, `shop_daily_stats`, the ownership table, the locks, and the tables the SQL join reads. */
  legacyKnex: Knex;
  registry: OwnershipRegistry;
  /** The via-services ports (built on first use: Thrift clients). */
  ports: () => JobPorts;
  whileColocated: 'sql' | 'services' | 'skip';
  afterSplit: 'services' | 'skip';
  /** Why a skipped run was skipped (names the process that runs them instead). */
  skipReason?: { whileColocated?: string; afterSplit?: string };
  /** Seconds to wait for a run of the same job in progress; 0 = do not wait. */
  lockWaitSeconds?: number;
  params?: PopularityParams;
  now?: () => Date;
}

class SplitDuringRun extends Error {
  readonly owners: string;
  constructor(owners: string) {
    super(`ownership changed during the SQL run (${owners}): its results were discarded unwritten`);
    this.owners = owners;
  }
}

export async function runPeriodic(d: SeamDeps, job: PeriodicJob, day: string): Promise<PeriodicRun> {
  const before = await d.registry.refresh();
  const owners = describeOwners(before);
  const colocated = tablesColocated(before);
  const mode = colocated ? d.whileColocated : d.afterSplit;
  if (mode === 'skip') {
    const why = colocated ? d.skipReason?.whileColocated ?? 'tables co-located' : d.skipReason?.afterSplit ?? 'tables split';
    return { job, day, via: 'skipped', owners, note: why };
  }
  const locked = await withJobLock(d.legacyKnex, jobLockKey(job, day), d.lockWaitSeconds ?? 0, async (): Promise<PeriodicRun> => {
    if (mode === 'sql') {
      const beforeWrite = async () => {
        const now = await d.registry.refresh();
        if (!tablesColocated(now)) throw new SplitDuringRun(describeOwners(now));
      };
      try {
        return job === 'popularity'
          ? { job, day, via: 'sql', owners, popularity: await runPopularity(d.legacyKnex, { day, params: d.params, beforeWrite }) }
          : { job, day, via: 'sql', owners, shopStats: await runShopStats(d.legacyKnex, { day, now: d.now, beforeWrite }) };
      } catch (err) {
        if (!(err instanceof SplitDuringRun)) throw err;
        if (d.afterSplit === 'skip') return { job, day, via: 'skipped', owners: err.owners, note: `${err.message}; ${d.skipReason?.afterSplit ?? 'tables split'}` };
        return { ...(await viaServices(d, job, day, err.owners)), note: err.message };
      }
    }
    return viaServices(d, job, day, owners);
  });
  return locked.ran ? locked.value : { job, day, via: 'skipped', owners, busy: true, note: `another run of ${jobLockKey(job, day)} is in progress` };
}

async function viaServices(d: SeamDeps, job: PeriodicJob, day: string, owners: string): Promise<PeriodicRun> {
  const ports = d.ports();
  return job === 'popularity'
    ? { job, day, via: 'services', owners, popularity: await runPopularityViaServices(ports, { day, params: d.params }) }
    : { job, day, via: 'services', owners, shopStats: await runShopStatsViaServices(ports, { day, now: d.now }) };
}
