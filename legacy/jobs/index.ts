/**
 * The jobs scheduler process (started by `npm start`, or alone:
 * `node legacy/jobs/index.ts`). Each run ranks popularity as of today and
 * upserts shop stats for yesterday and today (so yesterday is finalised after
 * midnight), behind the seam (seam.ts): the SQL join while products, shops and
 * users are all legacy's, through the services after a split — or, with
 * JOBS_AFTER_SPLIT=events, not at all after a split (the events process's
 * BullMQ schedulers have them then). Stops gracefully on SIGINT/SIGTERM,
 * letting a run in progress end. Tells a parent started with an IPC channel
 * `{ type: 'ready' }` once the database answers.
 */
import { parseConfig } from '../../lib/config.ts';
import { createKnex, type Knex } from '../../lib/db.ts';
import { createLogger, type Logger } from '../../lib/logger.ts';
import { maskDsn, maskSecretsInText } from '../../lib/mask.ts';
import type { OwnershipRegistry } from '../../lib/ownership/index.ts';
import type { JobPorts } from '../../rpc/jobs/ports.ts';
import { jobsConfigSchema, type JobsConfig } from './config.ts';
import { addDays, dayOf } from '../../lib/contract/jobs/days.ts';
import { runJobsBehindSeam } from './run.ts';
import { Scheduler, nextSlot } from './schedule.ts';
import { describeRun } from './seam.ts';
import { openJobsSeam } from './wiring.ts';

export const HANDED_OVER = 'the tables are split: the events process runs the periodic jobs through the services (JOBS_AFTER_SPLIT=events)';

export interface RunningScheduler {
  scheduler: Scheduler;
  stop(): Promise<void>;
}

export async function startScheduler(config: JobsConfig, opts: { logger?: Logger; knex?: Knex; now?: () => number; registry?: OwnershipRegistry; ports?: JobPorts } = {}): Promise<RunningScheduler> {
  const logger = opts.logger ?? createLogger('legacy-jobs', { level: config.LOG_LEVEL });
  // the seam's lock holds one connection for a run, the job's queries need another
  const knex = opts.knex ?? createKnex(config.MYSQL_URL, { pool: { max: 3 } });
  await knex.raw('SELECT 1');
  const now = opts.now ?? Date.now;
  const seam = await openJobsSeam(knex, config, {
    registry: opts.registry, ports: opts.ports, whileColocated: 'sql',
    afterSplit: config.JOBS_AFTER_SPLIT === 'events' ? 'skip' : 'services', skipReason: { afterSplit: HANDED_OVER },
  });
  let lastSkip = '';
  const scheduler = new Scheduler({
    intervalMs: config.JOBS_INTERVAL,
    offsetMs: config.JOBS_OFFSET,
    runOnStart: config.JOBS_RUN_ON_START,
    now,
    task: async () => {
      const today = dayOf(now());
      const runs = await runJobsBehindSeam(seam.deps, 'all', { day: today, shopStatDays: [addDays(today, -1), today] });
      for (const r of runs) {
        const handedOver = r.via === 'skipped' && !r.busy;
        // a handed-over schedule says so once, not at every slot
        if (!handedOver || r.note !== lastSkip) logger[r.busy ? 'warn' : 'info']({ via: r.via }, describeRun(r));
        lastSkip = handedOver ? r.note ?? '' : '';
      }
      logger.info(`next run at ${new Date(nextSlot(now(), config.JOBS_INTERVAL, config.JOBS_OFFSET)).toISOString()}`);
    },
    onError: (err) => logger.error({ err }, 'jobs run failed'),
  });
  scheduler.start();
  logger.info({ mysql: maskDsn(config.MYSQL_URL), intervalMs: config.JOBS_INTERVAL, offsetMs: config.JOBS_OFFSET, afterSplit: config.JOBS_AFTER_SPLIT }, 'jobs scheduler started');
  return {
    scheduler,
    async stop() {
      await scheduler.stop();
      await seam.close();
      if (!opts.knex) await knex.destroy();
      logger.info('jobs scheduler stopped');
    },
  };
}

if (import.meta.main) {
  let running: RunningScheduler;
  try {
    running = await startScheduler(parseConfig(jobsConfigSchema, process.env));
  } catch (err) {
    process.stderr.write(`legacy-jobs: failed to start: ${maskSecretsInText((err as Error).message).split('\n')[0]}\n`);
    process.exit(1);
  }
  process.send?.({ type: 'ready' });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`legacy-jobs: ${signal}, stopping\n`);
    running.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // the IPC channel keeps the event loop alive only while the parent lives; exit with it
  process.on('disconnect', () => stop('parent gone'));
}
