/**
 * The periodic jobs as BullMQ job schedulers (repeatable jobs): one
 * scheduler id per job, so however many processes register them, each slot
 * runs once; the worker recomputes and upserts, so a retried or repeated run
 * writes the same result. Each run goes through `run` (index.ts: periodic.ts
 * — through the services, holding the job's lock); a run
 * that finds the lock taken fails and is retried with backoff.
 */
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../lib/logger.ts';
import { addDays, dayOf, parseDay } from '../../lib/contract/jobs/days.ts';
import { describeRun, type PeriodicJob as SeamJob, type PeriodicRun } from '../../lib/contract/jobs/periodic.ts';

export const PERIODIC_QUEUE = 'periodic-jobs';
export const PERIODIC_JOBS = ['popularity', 'shop-stats', 'outbox-purge'] as const;
export type PeriodicJob = (typeof PERIODIC_JOBS)[number];

export interface JobData {
  /** The day to compute ('YYYY-MM-DD'); default: the UTC day the job runs, plus dayOffset. */
  day?: string;
  dayOffset?: number;
}

/** Scheduler id → cron pattern (UTC) and job. */
export const DEFAULT_SCHEDULES: Record<string, { pattern: string; job: PeriodicJob; data?: JobData }> = {
  'popularity-hourly': { pattern: '5 * * * *', job: 'popularity' },
  'shop-stats-hourly': { pattern: '15 * * * *', job: 'shop-stats' },
  'shop-stats-final': { pattern: '20 0 * * *', job: 'shop-stats', data: { dayOffset: -1 } },
  'outbox-purge-daily': { pattern: '40 3 * * *', job: 'outbox-purge' },
};

export function jobDay(data: JobData, nowMs: number): string {
  return data.day ? parseDay(data.day) : addDays(dayOf(nowMs), data.dayOffset ?? 0);
}

export async function registerSchedules(queue: Queue, schedules = DEFAULT_SCHEDULES): Promise<void> {
  for (const [id, s] of Object.entries(schedules)) {
    await queue.upsertJobScheduler(id, { pattern: s.pattern, tz: 'UTC' }, {
      name: s.job, data: s.data ?? {}, opts: { attempts: 3, backoff: { type: 'exponential', delay: 30_000 }, removeOnComplete: 100, removeOnFail: 500 },
    });
  }
}

export interface JobsWorkerOptions {
  connection: Redis;
  prefix?: string;
  /** One run of a job for a day (the seam decides how, or whether). */
  run: (job: SeamJob, day: string) => Promise<PeriodicRun>;
  logger: Logger;
  /** outbox-purge: deletes published outbox rows older than this. */
  purge?: () => Promise<number>;
  now?: () => number;
}

export function createJobsWorker(o: JobsWorkerOptions): Worker {
  const now = o.now ?? Date.now;
  const worker = new Worker(PERIODIC_QUEUE, async (job: Job<JobData>) => {
    const day = jobDay(job.data ?? {}, now());
    switch (job.name as PeriodicJob) {
      case 'popularity':
      case 'shop-stats': {
        const r = await o.run(job.name as SeamJob, day);
        if (r.busy) throw new Error(`${describeRun(r)} (retried)`);
        o.logger.info({ via: r.via }, describeRun(r));
        return r;
      }
      case 'outbox-purge':
        return { purged: (await o.purge?.()) ?? 0 };
      default:
        throw new Error(`unknown periodic job ${job.name}`);
    }
  }, { connection: o.connection, concurrency: 1, ...(o.prefix ? { prefix: o.prefix } : {}) });
  worker.on('failed', (job, err) => o.logger.error({ err, job: job?.name, attempts: job?.attemptsMade }, 'periodic job failed'));
  worker.on('error', (err) => o.logger.warn({ err }, 'periodic jobs worker error'));
  return worker;
}
