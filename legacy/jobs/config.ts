import { z } from 'zod';
import { DEFAULT_MYSQL_URL, bool, int } from '../../lib/config.ts';
import { parseDuration } from './schedule.ts';

const duration = (def: string) => z.string().default(def).transform((s, ctx) => {
  try {
    return parseDuration(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const hostPort = (def: string) => z.string().regex(/^[A-Za-z0-9.\-_]+:\d{1,5}$/, 'must be host:port').default(def);

/**
 * What the jobs need to run through the services once the tables are split
 * (seam.ts), shared by the scheduler and `npm run jobs`: the services' Thrift
 * endpoints and the per-call deadline for the jobs' batch calls.
 */
export const jobsSeamFields = {
  MYSQL_URL: z.string().regex(/^(mysql|mariadb):\/\//, 'must be a mysql:// URL').default(DEFAULT_MYSQL_URL),
  PRODUCT_THRIFT: hostPort('127.0.0.1:9001'),
  SHOP_THRIFT: hostPort('127.0.0.1:9002'),
  USER_THRIFT: hostPort('127.0.0.1:9003'),
  JOBS_CALL_TIMEOUT_MS: int(30_000, 1),
};

/**
 * Scheduler config (env), parsed once by legacy/jobs/index.ts:
 * JOBS_INTERVAL (default 1h) and JOBS_OFFSET (default 0s): runs at offset + k·interval UTC,
 * e.g. JOBS_INTERVAL=1d JOBS_OFFSET=3h ⇒ daily at 03:00 UTC; JOBS_RUN_ON_START (default true).
 * JOBS_AFTER_SPLIT: once products, shops or users are service-owned, `services` (default) runs
 * the jobs through the services' Thrift APIs; `events` leaves them to the events process's
 * BullMQ schedulers (npm start: one schedule at a time, see scripts/stack.ts).
 */
export const jobsConfigSchema = z.object({
  ...jobsSeamFields,
  JOBS_AFTER_SPLIT: z.enum(['services', 'events']).default('services'),
  JOBS_INTERVAL: duration('1h').refine((ms) => ms >= 1000, 'must be at least 1s'),
  JOBS_OFFSET: duration('0s'),
  JOBS_RUN_ON_START: bool(true),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type JobsConfig = z.output<typeof jobsConfigSchema>;
